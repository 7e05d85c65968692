import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createHistory, type DeliveryRecord } from '../../local/history';
import { type TempDir, tempDir } from './wait';

let dir: TempDir;

beforeEach(async () => {
  dir = await tempDir('dpt-history-');
});

afterEach(async () => {
  await dir.remove();
});

function record(id: string, receivedAt = 1000): DeliveryRecord {
  return {
    id,
    event: 'issue_comment',
    receivedAt,
    updatedAt: receivedAt,
    headers: { 'x-github-event': 'issue_comment' },
    status: 'queued',
    attempts: 0,
    actions: [],
    discord: [],
    errors: [],
  };
}

const files = async () => (await readdir(dir.path)).sort();
const onDisk = async (id: string): Promise<DeliveryRecord> =>
  JSON.parse(await readFile(join(dir.path, `${id}.json`), 'utf8'));

describe('delivery history', () => {
  test('a durable add is on disk when it resolves', async () => {
    const history = createHistory({ dir: dir.path });
    await history.load();
    await history.add({ ...record('d1'), status: 'ignored' }, '{"zen":"x"}');
    expect(await files()).toEqual(['d1.body', 'd1.json']);
    expect((await onDisk('d1')).status).toBe('ignored');
    expect(await readFile(join(dir.path, 'd1.body'), 'utf8')).toBe('{"zen":"x"}');
  });

  test('a lazy add is in memory at once and reaches the disk without being waited for; sync makes it durable', async () => {
    const history = createHistory({ dir: dir.path, now: () => 2000 });
    await history.load();
    await history.add(record('d1'), 'the body', { durable: false });
    expect(history.get('d1')?.status).toBe('queued');
    // The body can be read back at once, even while its file is being written.
    expect(await history.body('d1')).toBe('the body');
    history.update('d1', (r) => ({ ...r, status: 'running', attempts: 1 }));
    history.update('d1', (r) => ({ ...r, status: 'done' }));
    expect(history.get('d1')).toMatchObject({ status: 'done', attempts: 1, updatedAt: 2000 });
    await history.sync('d1', 'the body');
    expect(await onDisk('d1')).toMatchObject({ status: 'done', attempts: 1 });
    expect(await readFile(join(dir.path, 'd1.body'), 'utf8')).toBe('the body');

    const reloaded = createHistory({ dir: dir.path });
    await reloaded.load();
    expect(reloaded.get('d1')).toMatchObject({ status: 'done', attempts: 1 });
  });

  test('flush writes every changed record', async () => {
    const history = createHistory({ dir: dir.path });
    await history.load();
    for (const id of ['d1', 'd2', 'd3']) await history.add(record(id), id, { durable: false });
    history.update('d2', (r) => ({ ...r, status: 'retrying', reason: 'Discord is down' }));
    await history.flush();
    expect(await files()).toEqual(['d1.body', 'd1.json', 'd2.body', 'd2.json', 'd3.body', 'd3.json']);
    expect(await onDisk('d2')).toMatchObject({ status: 'retrying', reason: 'Discord is down' });
  });

  test('sync writes the body again when the file is missing or incomplete', async () => {
    const history = createHistory({ dir: dir.path });
    await history.load();
    await history.add(record('d1'), 'complete body', { durable: false });
    await history.flush();
    await writeFile(join(dir.path, 'd1.body'), 'compl');
    await history.sync('d1', 'complete body');
    expect(await readFile(join(dir.path, 'd1.body'), 'utf8')).toBe('complete body');

    await history.add(record('d2'), 'second body', { durable: false });
    await history.flush();
    await rm(join(dir.path, 'd2.body'));
    await history.sync('d2', 'second body');
    expect(await readFile(join(dir.path, 'd2.body'), 'utf8')).toBe('second body');
  });

  test('load skips a record a crash left unreadable and clears temp files', async () => {
    const history = createHistory({ dir: dir.path });
    await history.load();
    await history.add(record('good', 1), 'b');
    await writeFile(join(dir.path, 'torn.json'), '{"id":"torn","ev');
    await writeFile(join(dir.path, 'good.json.0a1b.tmp'), '{');
    const reloaded = createHistory({ dir: dir.path });
    await reloaded.load();
    expect(reloaded.list().map((r) => r.id)).toEqual(['good']);
    expect((await files()).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
