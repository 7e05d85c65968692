/** `npm start`'s entry as a real child process: the banner, bad configuration, SIGKILL mid-burst, SIGTERM. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { commentPayload, type ExternalDiscord, messagesIn, post, startExternalDiscord } from './harness';
import { type TempDir, tempDir, waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');
const SECRET = 'child-process-secret';

interface Child {
  readonly process: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

const children: Child[] = [];

function start(env: Record<string, string>): Child {
  // `node --import tsx` rather than the tsx CLI: one process, so a signal reaches the bridge itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const handle = { process: child, stdout: () => stdout, stderr: () => stderr, exited };
  children.push(handle);
  return handle;
}

async function pageUrl(child: Child): Promise<string> {
  const match = await waitFor(
    () => /^Page: +(http:\/\/\S+)\/$/m.exec(child.stdout()) ?? undefined,
    `the banner (stderr: ${child.stderr()})`,
    { timeoutMs: 30_000 },
  );
  return match[1];
}

async function deliveries(url: string): Promise<{ id: string; status: string }[]> {
  const res = await fetch(`${url}/api/deliveries`);
  return res.json();
}

let dir: TempDir;
let external: ExternalDiscord | undefined;

beforeEach(async () => {
  dir = await tempDir('dpt-main-');
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
  }
  await external?.emulator.close();
  external = undefined;
  await dir.remove();
});

describe('npm start', () => {
  test('bad configuration stops the start with one line naming the variable', async () => {
    const child = start({ DATA_DIR: dir.path, PORT: 'eighty' });
    expect(await child.exited).toBe(1);
    expect(child.stderr()).toBe('discord-pr-threads: PORT must be a port number (0-65535).\n');
    expect(child.stdout()).toBe('');
  });

  test('SIGKILL in the middle of a burst: the next start loses nothing and duplicates nothing; SIGTERM exits cleanly', async () => {
    external = await startExternalDiscord();
    const { emulator, channelId } = external;
    emulator.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: 'delay', delayMs: 200, times: 40 });
    const env = {
      DATA_DIR: dir.path,
      PORT: '0',
      GITHUB_WEBHOOK_SECRET: SECRET,
      DISCORD_BOT_TOKEN: emulator.token,
      DISCORD_API_URL: emulator.url,
      DISCORD_GUILD_ID: external.guildId,
      DISCORD_CHANNEL_ID: channelId,
    };

    const first = start(env);
    const url = await pageUrl(first);
    const banner = first.stdout().split('\n');
    expect(banner[0]).toBe(`Discord: ${emulator.url} (guild ${external.guildId}, default channel ${channelId})`);
    expect(banner[1]).toBe(`Page:    ${url}/`);
    expect(first.stdout()).not.toContain(SECRET);

    const sent: { id: string; text: string }[] = [];
    for (let i = 1; i <= 8; i++) {
      const text = `crash burst ${i}`;
      const res = await post(url, 'issue_comment', commentPayload(5000 + i, text, 2 + (i % 2)), SECRET);
      expect(res.status).toBe(202);
      sent.push({ id: res.deliveryId, text });
    }
    const before = await deliveries(url);
    expect(before.filter((d) => d.status === 'done').length).toBeLessThan(sent.length);
    first.process.kill('SIGKILL');
    await first.exited;

    const second = start(env);
    const url2 = await pageUrl(second);
    await waitFor(
      async () => {
        const all = await deliveries(url2);
        return sent.every((s) => all.find((d) => d.id === s.id)?.status === 'done');
      },
      'every delivery to be done after the restart',
      { timeoutMs: 45_000, intervalMs: 200 },
    );
    expect(emulator.state.threads({ parentId: channelId })).toHaveLength(2);
    const texts = messagesIn(emulator, channelId);
    for (const { text } of sent) expect(texts.filter((t) => t.includes(text))).toHaveLength(1);

    second.process.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
