import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import {
  backoffDelay,
  createGroupCommit,
  createQueue,
  type Queue,
  type QueueEvent,
  type QueueItem,
  type QueueOptions,
} from '../../local/queue';
import { deferred, type TempDir, tempDir, waitFor } from './wait';

type Body = { readonly label: string };
const decode = (raw: unknown): Body => z.object({ label: z.string() }).parse(raw);

let dir: TempDir;
const queues: Queue<Body>[] = [];

beforeEach(async () => {
  dir = await tempDir('dpt-queue-');
});

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.stop(50)));
  await dir.remove();
});

async function startQueue(
  handler: (item: QueueItem<Body>) => Promise<void>,
  options: Partial<QueueOptions<Body>> = {},
): Promise<{ queue: Queue<Body>; events: QueueEvent<Body>[] }> {
  const events: QueueEvent<Body>[] = [];
  const queue = createQueue<Body>({
    dir: dir.path,
    handler,
    decode,
    baseDelayMs: 5,
    maxDelayMs: 40,
    onEvent: (event) => events.push(event),
    ...options,
  });
  queues.push(queue);
  await queue.start();
  return { queue, events };
}

const msg = (id: string, groupId: string) => ({ id, groupId, body: { label: id } });

describe('local queue', () => {
  test('runs the messages of one group one at a time, in order', async () => {
    const log: string[] = [];
    let inflight = 0;
    let maxInflight = 0;
    const { queue } = await startQueue(async (item) => {
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      log.push(`start ${item.body.label}`);
      await new Promise((resolve) => setImmediate(resolve));
      log.push(`end ${item.body.label}`);
      inflight--;
    });
    for (const id of ['a1', 'a2', 'a3', 'a4']) await queue.enqueue(msg(id, 'A'));
    await waitFor(() => queue.items().length === 0, 'the group to drain');
    expect(log).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3', 'start a4', 'end a4']);
    expect(maxInflight).toBe(1);
  });

  test('a busy group does not hold other groups back, within the concurrency bound', async () => {
    const release = deferred();
    const started: string[] = [];
    let inflight = 0;
    let maxInflight = 0;
    const { queue } = await startQueue(
      async (item) => {
        started.push(item.id);
        inflight++;
        maxInflight = Math.max(maxInflight, inflight);
        if (item.groupId === 'A') await release.promise;
        inflight--;
      },
      { concurrency: 2 },
    );
    await queue.enqueue(msg('a1', 'A'));
    await queue.enqueue(msg('a2', 'A'));
    for (const id of ['b1', 'c1', 'd1']) await queue.enqueue(msg(id, id.toUpperCase().slice(0, 1)));
    await waitFor(() => ['b1', 'c1', 'd1'].every((id) => started.includes(id)), 'the other groups to run');
    expect(started).not.toContain('a2');
    release.resolve();
    await waitFor(() => queue.items().length === 0, 'the queue to drain');
    expect(started.indexOf('a2')).toBeGreaterThan(started.indexOf('a1'));
    expect(maxInflight).toBe(2);
  });

  test('retries a failing message with exponential backoff, holding its group until it succeeds', async () => {
    const calls: string[] = [];
    const { queue, events } = await startQueue(async (item) => {
      calls.push(`${item.id}#${item.attempts}`);
      if (item.id === 'a1' && item.attempts < 3) throw new Error('Discord is down');
    });
    await queue.enqueue(msg('a1', 'A'));
    await queue.enqueue(msg('a2', 'A'));
    await waitFor(() => queue.items().length === 0, 'the group to drain');
    expect(calls).toEqual(['a1#1', 'a1#2', 'a1#3', 'a2#1']);
    const retries = events.filter((e) => e.type === 'retrying');
    const starts = events.filter((e) => e.type === 'started' && e.item.id === 'a1');
    expect(retries.map((e) => e.item.attempts)).toEqual([1, 2]);
    retries.forEach((retry, i) => {
      const startedAt = starts[i].item.startedAt ?? Number.NaN;
      expect(retry.item.notBefore - startedAt).toBeGreaterThanOrEqual(5 * 2 ** i);
      expect(starts[i + 1].item.startedAt).toBeGreaterThanOrEqual(retry.item.notBefore);
      expect(retry.item.lastError).toBe('Error: Discord is down');
    });
  });

  test('backoff doubles from the base delay, is capped, and honours retryAfterMs', () => {
    const timing = { baseDelayMs: 1000, maxDelayMs: 5000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, new Error('x'), timing))).toEqual([1000, 2000, 4000, 5000]);
    expect(backoffDelay(1, { retryAfterMs: 3000 }, timing)).toBe(3000);
  });

  test('dead-letters after 5 attempts and lets the rest of the group go on', async () => {
    const calls: string[] = [];
    const { queue, events } = await startQueue(async (item) => {
      calls.push(item.id);
      if (item.id === 'a1') throw new Error('always broken');
    });
    await queue.enqueue(msg('a1', 'A'));
    await queue.enqueue(msg('a2', 'A'));
    await waitFor(() => calls.includes('a2'), 'the next message of the group');
    expect(calls.filter((id) => id === 'a1')).toHaveLength(5);
    expect(queue.items()).toEqual([expect.objectContaining({ id: 'a1', state: 'dead', attempts: 5 })]);
    expect(events.filter((e) => e.type === 'dead')).toHaveLength(1);
  });

  test('dead-letters at once when the error says retrying cannot help', async () => {
    let calls = 0;
    const { queue } = await startQueue(async () => {
      calls++;
      throw Object.assign(new Error('payload is not JSON'), { retryable: false });
    });
    await queue.enqueue(msg('a1', 'A'));
    await waitFor(() => queue.items()[0]?.state === 'dead', 'the dead letter');
    expect(calls).toBe(1);
    expect(queue.items()[0].lastError).toBe('Error: payload is not JSON');
  });

  test('redrive puts a dead message back with fresh attempts', async () => {
    let broken = true;
    const done: string[] = [];
    const { queue } = await startQueue(async (item) => {
      if (broken) throw Object.assign(new Error('bad'), { retryable: false });
      done.push(`${item.id}#${item.attempts}`);
    });
    await queue.enqueue(msg('a1', 'A'));
    await waitFor(() => queue.items()[0]?.state === 'dead', 'the dead letter');
    expect(await queue.redrive('unknown')).toBe(false);
    broken = false;
    expect(await queue.redrive('a1')).toBe(true);
    await waitFor(() => queue.items().length === 0, 'the redriven message to finish');
    expect(done).toEqual(['a1#1']);
  });

  test('deduplicates on the message id while the message is queued', async () => {
    const release = deferred();
    const calls: string[] = [];
    const { queue } = await startQueue(async (item) => {
      calls.push(item.id);
      await release.promise;
    });
    expect(await queue.enqueue(msg('a1', 'A'))).toBe('queued');
    expect(await queue.enqueue(msg('a1', 'A'))).toBe('duplicate');
    release.resolve();
    await waitFor(() => queue.items().length === 0, 'the queue to drain');
    expect(calls).toEqual(['a1']);
  });

  test('an acknowledged message is on disk, and a restart resumes everything in order', async () => {
    const hold = deferred();
    const first = await startQueue(async (item) => {
      if (item.id === 'a1') await hold.promise;
    });
    await first.queue.enqueue(msg('a1', 'A'));
    await first.queue.enqueue(msg('a2', 'A'));
    await first.queue.enqueue(msg('b1', 'B'));
    expect((await readdir(dir.path)).filter((n) => n.endsWith('.json'))).toHaveLength(3);
    await waitFor(() => first.queue.items().find((i) => i.id === 'b1') === undefined, 'b1 to finish');
    expect(await first.queue.stop(20)).toBe(1);

    const done: string[] = [];
    const second = await startQueue(async (item) => {
      done.push(`${item.id}#${item.attempts}`);
    });
    await waitFor(() => second.queue.items().length === 0, 'the resumed queue to drain');
    expect(done).toEqual(['a1#2', 'a2#1']);
    hold.resolve();
  });

  test('an interrupted attempt resumes no sooner than its lease allows', async () => {
    const hold = deferred();
    const first = await startQueue(() => hold.promise);
    await first.queue.enqueue(msg('a1', 'A'));
    await waitFor(() => first.queue.items()[0]?.state === 'inflight', 'the attempt to start');
    const startedAt = first.queue.items()[0].startedAt ?? Number.NaN;
    await first.queue.stop(0);

    const second = await startQueue(async () => undefined, { interruptedDelayMs: 60_000 });
    expect(second.queue.items()).toEqual([
      expect.objectContaining({ id: 'a1', state: 'retrying', attempts: 1, notBefore: startedAt + 60_000 }),
    ]);
    hold.resolve();
  });

  test('refuses to start on a malformed message file', async () => {
    await writeFile(join(dir.path, '000000000001.json'), JSON.stringify({ seq: 1 }));
    const queue = createQueue<Body>({ dir: dir.path, handler: async () => undefined, decode });
    await expect(queue.start()).rejects.toThrow(/malformed/);
  });

  test('concurrent enqueues share a group commit: each is on disk when acknowledged, in call order, FIFO per group', async () => {
    const ran: string[] = [];
    const hold = deferred();
    const { queue } = await startQueue(
      async (item) => {
        await hold.promise;
        ran.push(item.id);
      },
      { concurrency: 3 },
    );
    const ids = Array.from({ length: 60 }, (_, i) => `m${i}`);
    const onDisk: boolean[] = [];
    const answers = await Promise.all(
      ids.map((id, i) =>
        queue.enqueue(msg(id, `G${i % 3}`)).then(async (answer) => {
          const files = await readdir(dir.path);
          const seq = queue.get(id)?.seq ?? -1;
          onDisk.push(files.includes(`${String(seq).padStart(12, '0')}.json`));
          return answer;
        }),
      ),
    );
    expect(answers.every((a) => a === 'queued')).toBe(true);
    expect(onDisk.every(Boolean)).toBe(true);
    // Sequence numbers follow the order of the calls.
    expect(ids.map((id) => queue.get(id)?.seq)).toEqual(ids.map((_, i) => i + 1));
    hold.resolve();
    await waitFor(() => queue.items().length === 0, 'the queue to drain');
    for (const g of [0, 1, 2]) {
      expect(ran.filter((id) => Number(id.slice(1)) % 3 === g)).toEqual(ids.filter((_, i) => i % 3 === g));
    }
  });

  test('concurrent enqueues of one id: one is queued, the others are duplicates', async () => {
    const hold = deferred();
    const calls: string[] = [];
    const { queue } = await startQueue(async (item) => {
      calls.push(item.id);
      await hold.promise;
    });
    const answers = await Promise.all([1, 2, 3, 4].map(() => queue.enqueue(msg('a1', 'A'))));
    expect(answers.filter((a) => a === 'queued')).toHaveLength(1);
    expect(answers.filter((a) => a === 'duplicate')).toHaveLength(3);
    expect((await readdir(dir.path)).filter((n) => n.endsWith('.json'))).toHaveLength(1);
    hold.resolve();
    await waitFor(() => queue.items().length === 0, 'the queue to drain');
    expect(calls).toEqual(['a1']);
  });

  test('after a success the group goes on at once, and the file stays until settle is durable', async () => {
    const settling = deferred();
    const settled: string[] = [];
    const ran: string[] = [];
    const { queue, events } = await startQueue(
      async (item) => {
        ran.push(item.id);
      },
      {
        settle: async (item) => {
          if (item.id === 'a1') await settling.promise;
          settled.push(item.id);
        },
      },
    );
    await queue.enqueue(msg('a1', 'A'));
    await queue.enqueue(msg('a2', 'A'));
    await waitFor(() => ran.includes('a2'), 'the next message of the group to run');
    await waitFor(() => settled.includes('a2'), 'a2 to settle');
    // a1 is done for the queue, but its file waits for its settle.
    expect(queue.items()).toEqual([]);
    await waitFor(async () => (await readdir(dir.path)).filter((n) => n.endsWith('.json')).length === 1, 'a2 removed');
    expect(events.some((e) => e.type === 'succeeded' && e.item.id === 'a1')).toBe(false);
    settling.resolve();
    await waitFor(async () => (await readdir(dir.path)).filter((n) => n.endsWith('.json')).length === 0, 'a1 removed');
    expect(events.some((e) => e.type === 'succeeded' && e.item.id === 'a1')).toBe(true);
  });

  test('a settle that fails keeps the file: the message runs again after a restart', async () => {
    const first = await startQueue(async () => undefined, {
      settle: async () => {
        throw new Error('disk full');
      },
    });
    await first.queue.enqueue(msg('a1', 'A'));
    await waitFor(() => first.queue.items().length === 0, 'the attempt');
    await first.queue.stop(100);
    expect((await readdir(dir.path)).filter((n) => n.endsWith('.json'))).toHaveLength(1);

    const again: string[] = [];
    const second = await startQueue(async (item) => {
      again.push(`${item.id}#${item.attempts}`);
    });
    await waitFor(() => second.queue.items().length === 0, 'the rerun');
    expect(again).toEqual(['a1#2']);
  });

  test('stop waits for the commits and settles in flight, and start clears temp files a crash left', async () => {
    await writeFile(join(dir.path, '000000000009.json.ab12.tmp'), '{"torn":');
    const done: string[] = [];
    const { queue } = await startQueue(async (item) => {
      done.push(item.id);
    });
    expect((await readdir(dir.path)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const answers = Promise.all(['a1', 'a2', 'b1'].map((id) => queue.enqueue(msg(id, id.slice(0, 1)))));
    await expect(answers).resolves.toEqual(['queued', 'queued', 'queued']);
    expect(await queue.stop(1000)).toBe(0);
    await expect(queue.enqueue(msg('c1', 'C'))).rejects.toThrow(/stopping/);
    // What ran is gone from the disk; what did not is still there for the next start.
    const left = await Promise.all(
      (await readdir(dir.path))
        .filter((n) => n.endsWith('.json'))
        .map(async (n) => (JSON.parse(await readFile(join(dir.path, n), 'utf8')) as { id: string }).id),
    );
    expect([...done, ...left].sort()).toEqual(['a1', 'a2', 'b1']);
    expect(done.filter((id) => left.includes(id))).toEqual([]);
  });

  test('group commit: the last operation on a path wins, writes land before removals, failures reach their caller', async () => {
    const commit = createGroupCommit();
    const a = join(dir.path, 'a.json');
    const b = join(dir.path, 'b.json');
    await writeFile(b, 'old');
    await Promise.all([
      commit.write(a, '1'),
      commit.write(a, '2'),
      commit.sync(a),
      commit.remove(b),
      commit.write(join(dir.path, 'c.json'), 'c'),
    ]);
    expect(await readFile(a, 'utf8')).toBe('2');
    expect((await readdir(dir.path)).sort()).toEqual(['a.json', 'c.json']);
    await expect(commit.write(join(dir.path, 'missing', 'x.json'), 'x')).rejects.toThrow();
    await expect(commit.sync(join(dir.path, 'c.json'), 5)).rejects.toThrow(/incomplete/);
    await expect(commit.sync(join(dir.path, 'c.json'), 1)).resolves.toBeUndefined();
    await commit.idle();
  });
});
