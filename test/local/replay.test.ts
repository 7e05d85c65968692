import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bridge } from '../../local/bridge';
import { parseArgs, runReplay, UsageError } from '../../local/replay';
import {
  commentPayload,
  type ExternalDiscord,
  examplePayload,
  FIXTURES,
  messagesIn,
  post,
  startExternalDiscord,
  startTestBridge,
  testEnv,
} from './harness';
import { type TempDir, tempDir, waitFor } from './wait';

let dir: TempDir;
let bridge: Bridge | undefined;
let external: ExternalDiscord | undefined;

beforeEach(async () => {
  dir = await tempDir('dpt-replay-');
});

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  await external?.emulator.close();
  external = undefined;
  await dir.remove();
});

/** Runs the command in process with DATA_DIR (and the Discord variables) set; returns its code and output. */
async function replay(argv: readonly string[], extraEnv: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReplay(argv, { DATA_DIR: dir.path, ...extraEnv }, process.cwd(), {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** What Discord and the stores hold, to compare before and after. */
async function state(b: Bridge) {
  const emulator = b.runtime.preview?.emulator;
  if (emulator === undefined) throw new Error('expected the preview Discord');
  return {
    threads: emulator.state.threads(),
    channels: emulator.state.channels(),
    thread: await b.runtime.deps.threads.get('186853002#2'),
    records: b.history.list().map((r) => [r.id, r.status]),
  };
}

async function previewWithPr(): Promise<{ bridge: Bridge; commentId: string }> {
  const b = await startTestBridge(testEnv(dir.path));
  bridge = b;
  const opened = await post(b.url, 'pull_request', examplePayload('pull_request', 'opened'), b.secret);
  const comment = await post(b.url, 'issue_comment', commentPayload(4242, 'replay me once'), b.secret);
  await waitFor(
    () => [opened.deliveryId, comment.deliveryId].every((id) => b.history.get(id)?.status === 'done'),
    'the deliveries to be processed',
  );
  return { bridge: b, commentId: comment.deliveryId };
}

describe('npm run replay', () => {
  test('--dry-run prints the planned Discord actions and changes nothing', async () => {
    const { bridge: b, commentId } = await previewWithPr();
    const before = await state(b);

    const byId = await replay([commentId, '--dry-run']);
    expect(byId.code).toBe(0);
    expect(byId.out).toContain('through the running bridge');
    expect(byId.out).toContain(`${commentId} → ${commentId}-replay-`);
    const last = await replay(['--last', '2', '--dry-run']);
    expect(last.code).toBe(0);
    expect(last.out).toMatch(/would ensureThread/);
    const file = await replay(['--file', join(FIXTURES, 'pull_request.closed.merged.json'), '--dry-run']);
    expect(file.code).toBe(0);
    expect(file.out).toMatch(/would close \(archive \+ lock\)/);

    expect(await state(b)).toEqual(before);
  });

  test('a replay runs again under a fresh delivery id and still posts each comment once', async () => {
    const { bridge: b, commentId } = await previewWithPr();
    const preview = b.runtime.preview;
    if (preview === undefined) throw new Error('expected the preview Discord');

    for (let i = 0; i < 2; i++) {
      const result = await replay([commentId]);
      expect(result.code).toBe(0);
      expect(result.out).toMatch(/status: done/);
    }
    expect(preview.emulator.state.threads()).toHaveLength(1);
    expect(
      messagesIn(preview.emulator, preview.textChannelId).filter((t) => t.includes('replay me once')),
    ).toHaveLength(1);
    const replays = b.history.list().filter((r) => r.replayOf === commentId);
    expect(replays.map((r) => r.status)).toEqual(['done', 'done']);
  });

  test('without a running bridge it uses its own runtime against the configured Discord, idempotently', async () => {
    external = await startExternalDiscord();
    const env = {
      DISCORD_BOT_TOKEN: external.emulator.token,
      DISCORD_API_URL: external.emulator.url,
      DISCORD_GUILD_ID: external.guildId,
      DISCORD_CHANNEL_ID: external.channelId,
    };
    const fixture = join(FIXTURES, 'issue_comment.created.pull_request.json');
    const dry = await replay(['--file', fixture, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(external.emulator.state.threads()).toEqual([]);

    for (let i = 0; i < 2; i++) {
      const run = await replay(['--file', fixture], env);
      expect(run.code).toBe(0);
      expect(run.out).toMatch(/status: done/);
    }
    expect(external.emulator.state.threads()).toHaveLength(1);
    const texts = messagesIn(external.emulator, external.channelId);
    expect(texts.filter((t) => t.includes('Could you also update the screenshots?'))).toHaveLength(1);
  });

  test('the preview Discord cannot be replayed into without npm start', async () => {
    const result = await replay(['--file', join(FIXTURES, 'issue_comment.created.pull_request.json')]);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/DISCORD_BOT_TOKEN is not set and no `npm start` is running/);
  });

  test('--save writes a delivery as a { headers, body } fixture that replays', async () => {
    const { commentId } = await previewWithPr();
    const path = join(dir.path, 'saved.json');
    const saved = await replay(['--save', commentId, path]);
    expect(saved.code).toBe(0);
    const file = JSON.parse(await readFile(path, 'utf8'));
    expect(file.headers).toEqual(expect.objectContaining({ 'x-github-event': 'issue_comment' }));
    expect(file.headers['x-hub-signature-256']).toBeUndefined();
    expect(JSON.parse(file.body).comment.body).toBe('replay me once');
    const again = await replay(['--file', path, '--dry-run']);
    expect(again.code).toBe(0);
  });

  test('an unknown delivery id is one clear error', async () => {
    const result = await replay(['no-such-delivery', '--dry-run']);
    expect(result.code).toBe(1);
    expect(result.err).toBe(`No delivery no-such-delivery in ${dir.path}.`);
  });

  test('arguments: exactly one source, --save alone', () => {
    expect(parseArgs(['abc', '--dry-run'])).toEqual({
      kind: 'replay',
      dryRun: true,
      source: { kind: 'ids', ids: ['abc'] },
    });
    expect(parseArgs(['--last', '3'])).toEqual({ kind: 'replay', dryRun: false, source: { kind: 'last', last: 3 } });
    expect(() => parseArgs([])).toThrow(UsageError);
    expect(() => parseArgs(['abc', '--last', '2'])).toThrow(/exactly one/);
    expect(() => parseArgs(['--last', '0'])).toThrow(/positive/);
    expect(() => parseArgs(['--save', 'abc'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--from-aws', '--since', '2025-01-01'])).toThrow(/--topic-arn/);
    expect(parseArgs(['--from-aws', '--topic-arn', 'arn:x', '--since', '2025-01-01T00:00:00Z', '--pr', '5'])).toEqual({
      kind: 'replay',
      dryRun: false,
      source: { kind: 'aws', topicArn: 'arn:x', since: new Date('2025-01-01T00:00:00Z'), pr: 5 },
    });
  });
});
