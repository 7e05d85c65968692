import { readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { sign } from '../../lambdas/core/signature';
import type { Bridge } from '../../local/bridge';
import {
  commentPayload,
  type ExternalDiscord,
  examplePayload,
  fixtureBody,
  messagesIn,
  post,
  startExternalDiscord,
  startTestBridge,
  THREAD_NAME,
  testEnv,
} from './harness';
import { type TempDir, tempDir, waitFor } from './wait';

let dir: TempDir;
const bridges: Bridge[] = [];
let external: ExternalDiscord | undefined;

beforeEach(async () => {
  dir = await tempDir('dpt-bridge-');
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.stop();
  await external?.emulator.close();
  external = undefined;
  await dir.remove();
});

async function bridgeOn(env = testEnv(dir.path)): Promise<Bridge> {
  const bridge = await startTestBridge(env);
  bridges.push(bridge);
  return bridge;
}

const settled = (bridge: Bridge, ids: readonly string[]) => () =>
  ids.every((id) => ['done', 'duplicate', 'ignored'].includes(bridge.history.get(id)?.status ?? ''));

describe('local bridge, end to end over loopback', () => {
  test('a signed real payload becomes a public thread with the PR name, and a comment is forwarded into it', async () => {
    const bridge = await bridgeOn();
    const preview = bridge.runtime.preview;
    if (preview === undefined) throw new Error('expected the preview Discord');

    const opened = await post(bridge.url, 'pull_request', examplePayload('pull_request', 'opened'), bridge.secret);
    expect(opened.status).toBe(202);
    const comment = fixtureBody('issue_comment.created.pull_request.json');
    const commented = await post(bridge.url, 'issue_comment', comment, bridge.secret);
    expect(commented.status).toBe(202);
    await waitFor(settled(bridge, [opened.deliveryId, commented.deliveryId]), 'both deliveries to be processed');

    const threads = preview.emulator.state.threads({ parentId: preview.textChannelId });
    expect(threads.map((t) => ({ name: t.name, private: t.private, archived: t.archived }))).toEqual([
      { name: THREAD_NAME, private: false, archived: false },
    ]);
    const inThread = messagesIn(preview.emulator, preview.textChannelId);
    expect(inThread.filter((m) => m.includes('Thanks! Could you also update the screenshots?'))).toHaveLength(1);
    const all = preview.emulator.state.threads().flatMap((t) => preview.emulator.state.messages(t.id));
    for (const m of all) expect(m.mentionsDefaulted).toBe(false);

    const record = bridge.history.get(commented.deliveryId);
    expect(record).toMatchObject({ status: 'done', attempts: 1, event: 'issue_comment', prNumber: 2 });
    expect(record?.discord.some((c) => c.operation === 'createMessage' && c.ok)).toBe(true);
    expect(record?.headers['x-hub-signature-256']).toBeUndefined();
  });

  test('a bad signature is answered 401 and nothing is queued', async () => {
    const bridge = await bridgeOn();
    const payload = examplePayload('pull_request', 'opened');
    const wrongSecret = await post(bridge.url, 'pull_request', payload, 'not-the-secret');
    expect(wrongSecret.status).toBe(401);

    const body = Buffer.from(JSON.stringify(payload));
    const signature = sign(bridge.secret, body);
    body[body.length - 2] ^= 1;
    const tampered = await fetch(`${bridge.url}/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-github-delivery': 'tampered-1',
        'x-hub-signature-256': signature,
      },
      body: new Uint8Array(body),
    });
    expect(tampered.status).toBe(401);

    expect(bridge.queue.items()).toEqual([]);
    expect(bridge.history.list()).toEqual([]);
    expect((await readdir(join(dir.path, 'queue'))).filter((n) => n.endsWith('.json'))).toEqual([]);
    expect(bridge.rejections().count).toBe(2);
    expect(bridge.runtime.preview?.emulator.state.threads()).toEqual([]);
  });

  test('an event the bridge does not handle is acknowledged, shown as ignored, and not queued', async () => {
    const bridge = await bridgeOn();
    const res = await post(bridge.url, 'star', { action: 'created', repository: { id: 1 } }, bridge.secret);
    expect(res.status).toBe(202);
    expect(bridge.queue.items()).toEqual([]);
    expect(bridge.history.get(res.deliveryId)).toMatchObject({ status: 'ignored', event: 'star' });
  });

  test('a restart in the middle of a burst loses nothing and duplicates nothing', async () => {
    external = await startExternalDiscord();
    const { emulator, channelId } = external;
    // Slow Discord down so the stop lands while most of the burst is still queued.
    emulator.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: 'delay', delayMs: 150, times: 40 });
    const env = testEnv(dir.path, external.env);
    const first = await bridgeOn(env);

    const sent: { id: string; text: string }[] = [];
    for (const pr of [2, 3]) {
      for (let i = 1; i <= 5; i++) {
        const text = `burst comment ${pr}-${i}`;
        const res = await post(first.url, 'issue_comment', commentPayload(pr * 1000 + i, text, pr), first.secret);
        expect(res.status).toBe(202);
        sent.push({ id: res.deliveryId, text });
      }
    }
    bridges.splice(bridges.indexOf(first), 1);
    await first.stop();
    const left = (await readdir(join(dir.path, 'queue'))).filter((n) => n.endsWith('.json'));
    expect(left.length).toBeGreaterThan(0);

    const second = await bridgeOn(env);
    const allDone = settled(
      second,
      sent.map((s) => s.id),
    );
    // An attempt cut off by the stop may have finished on Discord and in the history while its queue file stayed:
    // it runs once more after the lease (as a duplicate, no effect), so wait for the queue to drain as well.
    await waitFor(
      () => allDone() && second.queue.items().length === 0,
      'every delivery of the burst to be done and the queue drained after the restart',
      { timeoutMs: 30_000 },
    );

    const threads = emulator.state.threads({ parentId: channelId });
    expect(threads).toHaveLength(2);
    const texts = messagesIn(emulator, channelId);
    for (const { text } of sent) expect(texts.filter((t) => t.includes(text))).toHaveLength(1);
    expect(second.history.list().filter((r) => r.status === 'done')).toHaveLength(sent.length);
    expect(second.queue.items()).toEqual([]);
  });

  test('a concurrent burst is acknowledged only once on disk, and a restart loses nothing and duplicates nothing', async () => {
    external = await startExternalDiscord();
    const { emulator, channelId } = external;
    emulator.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: 'delay', delayMs: 100, times: 60 });
    const env = testEnv(dir.path, external.env);
    const first = await bridgeOn(env);
    const queueDir = join(dir.path, 'queue');

    const burst = Array.from({ length: 24 }, (_, i) => ({ pr: 2 + (i % 3), text: `concurrent comment [${i}]` }));
    const answers = await Promise.all(
      burst.map(async ({ pr, text }, i) => {
        const res = await post(first.url, 'issue_comment', commentPayload(9000 + i, text, pr), first.secret);
        // Answered 202 only once the queue file is on disk (or the delivery already went through).
        const files = await readdir(queueDir);
        const item = first.queue.get(res.deliveryId);
        const durable =
          item === undefined
            ? first.history.get(res.deliveryId)?.status !== 'queued'
            : files.includes(`${String(item.seq).padStart(12, '0')}.json`);
        return { ...res, text, durable };
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(burst.map(() => 202));
    expect(answers.every((a) => a.durable)).toBe(true);
    bridges.splice(bridges.indexOf(first), 1);
    await first.stop();

    const second = await bridgeOn(env);
    await waitFor(
      () =>
        settled(
          second,
          answers.map((a) => a.deliveryId),
        )() && second.queue.items().length === 0,
      'the whole burst to be processed after the restart',
      { timeoutMs: 30_000 },
    );
    expect(emulator.state.threads({ parentId: channelId })).toHaveLength(3);
    const texts = messagesIn(emulator, channelId);
    for (const { text } of answers) expect(texts.filter((t) => t.includes(text))).toHaveLength(1);
  });

  test('a queued delivery whose record never reached the disk is shown again and processed from its queue message', async () => {
    external = await startExternalDiscord();
    const { emulator, channelId } = external;
    emulator.faults.push({ match: { method: 'POST' }, kind: '500', times: 1000 });
    const env = testEnv(dir.path, external.env);
    const first = await bridgeOn(env);
    const res = await post(first.url, 'issue_comment', commentPayload(4242, 'kept by the queue'), first.secret);
    expect(res.status).toBe(202);
    bridges.splice(bridges.indexOf(first), 1);
    await first.stop();
    // As after a power cut: the record and body, written without waiting for the disk, are gone.
    await rm(join(dir.path, 'deliveries'), { recursive: true, force: true });
    emulator.faults.clear();

    const second = await bridgeOn(env);
    expect(second.history.get(res.deliveryId)).toMatchObject({ event: 'issue_comment', prNumber: 2 });
    await waitFor(settled(second, [res.deliveryId]), 'the delivery to be processed');
    expect(messagesIn(emulator, channelId).filter((t) => t.includes('kept by the queue'))).toHaveLength(1);
    const api = await fetch(`${second.url}/api/deliveries/${res.deliveryId}`);
    expect(((await api.json()) as { body?: string }).body).toContain('kept by the queue');
  });

  test('a delivery Discord keeps refusing is retried, dead-lettered after 5 attempts, and redriven', async () => {
    external = await startExternalDiscord();
    const { emulator, channelId } = external;
    const bridge = await bridgeOn(testEnv(dir.path, external.env));
    emulator.faults.push({ match: { method: 'POST' }, kind: '500', times: 1000 });

    const res = await post(bridge.url, 'issue_comment', commentPayload(77, 'stuck comment'), bridge.secret);
    expect(res.status).toBe(202);
    await waitFor(() => bridge.history.get(res.deliveryId)?.status === 'dead', 'the dead letter', {
      timeoutMs: 30_000,
    });
    expect(bridge.history.get(res.deliveryId)).toMatchObject({ attempts: 5 });
    expect(bridge.history.get(res.deliveryId)?.errors).toHaveLength(5);

    emulator.faults.clear();
    const redrive = await fetch(`${bridge.url}/api/deliveries/${res.deliveryId}/redrive`, {
      method: 'POST',
      headers: { 'x-requested-by': 'discord-pr-threads' },
    });
    expect(redrive.status).toBe(200);
    await waitFor(settled(bridge, [res.deliveryId]), 'the redriven delivery to be done');
    expect(messagesIn(emulator, channelId).filter((t) => t.includes('stuck comment'))).toHaveLength(1);
  });

  test('the page API refuses cross-site posts and foreign Host headers', async () => {
    const bridge = await bridgeOn();
    const noHeader = await fetch(`${bridge.url}/api/samples/opened`, { method: 'POST' });
    expect(noHeader.status).toBe(403);
    const foreign = await new Promise<number>((resolve, reject) => {
      const req = request(`${bridge.url}/api/deliveries`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(foreign).toBe(403);
    expect(bridge.history.list()).toEqual([]);
    const health = await fetch(`${bridge.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true });
  });
});
