/** Shared set-up of the local-mode tests: bridges on a temp data dir and port 0, an external emulator, payloads. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLog } from '../../lambdas/core/ports';
import { type Bridge, startBridge } from '../../local/bridge';
import { type DiscordEmulator, startDiscordEmulator } from '../../local/discord-emulator';
import type { LocalEnv } from '../../local/env';
import { signedRequest } from '../helpers/signed-request';

export const FIXTURES = join(__dirname, '..', 'fixtures', 'deliveries');
export const PR_TITLE = 'Update the README with new information.';
export const THREAD_NAME = `PR #2 · ${PR_TITLE}`;

export function fixtureBody(name: string): Record<string, unknown> {
  const file: unknown = JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
  if (typeof file !== 'object' || file === null || !('body' in file) || typeof file.body !== 'string') {
    throw new Error(`${name} is not a recorded delivery`);
  }
  return JSON.parse(file.body);
}

const examples: { name: string; examples: Record<string, unknown>[] }[] = JSON.parse(
  readFileSync(require.resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8'),
);

export function examplePayload(event: string, action: string): Record<string, unknown> {
  const found = examples.find((e) => e.name === event)?.examples.find((e) => e['action'] === action);
  if (found === undefined) throw new Error(`no ${event}.${action} example`);
  return structuredClone(found);
}

/** The fixture's links to PR #2, made to point at PR `pr` (as GitHub would send them for another PR). */
function relink<T>(value: T, pr: number): T {
  return JSON.parse(JSON.stringify(value).replace(/\/(pull|pulls|issues)\/2(?=[/.#"])/g, `/$1/${pr}`));
}

/** The issue_comment fixture, as a new comment `id` with `text` on PR `pr`. */
export function commentPayload(id: number, text: string, pr = 2): Record<string, unknown> {
  const payload = fixtureBody('issue_comment.created.pull_request.json');
  const issue = payload['issue'];
  const comment = payload['comment'];
  if (typeof issue !== 'object' || issue === null || typeof comment !== 'object' || comment === null) {
    throw new Error('unexpected fixture shape');
  }
  // Two PRs never share a URL: the summaries (thread starters) of different PRs must differ like on GitHub.
  return {
    ...payload,
    issue: relink({ ...issue, number: pr }, pr),
    comment: relink({ ...comment, id, body: text }, pr),
  };
}

export function testEnv(dataDir: string, overrides: Partial<LocalEnv> = {}): LocalEnv {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    webhookSecret: 'local-test-secret',
    discord: { kind: 'preview' },
    ...overrides,
  };
}

export function startTestBridge(env: LocalEnv): Promise<Bridge> {
  return startBridge({
    env,
    log: silentLog,
    queue: { baseDelayMs: 20, maxDelayMs: 200, concurrency: 4 },
  });
}

export interface ExternalDiscord {
  readonly emulator: DiscordEmulator;
  readonly guildId: string;
  readonly channelId: string;
  /** The env pointing a bridge at this emulator as if it were the real Discord. */
  readonly env: Pick<LocalEnv, 'discord' | 'guildId' | 'channelId'>;
}

/** An emulator owned by the test, so it outlives the bridges it serves (restarts). */
export async function startExternalDiscord(): Promise<ExternalDiscord> {
  const emulator = await startDiscordEmulator({ token: 'test-bot-token' });
  const guild = emulator.addGuild({ name: 'test' });
  const channel = emulator.addChannel({ guildId: guild.id, type: 'text', name: 'prs' });
  return {
    emulator,
    guildId: guild.id,
    channelId: channel.id,
    env: {
      discord: { kind: 'remote', token: emulator.token, apiUrl: emulator.url },
      guildId: guild.id,
      channelId: channel.id,
    },
  };
}

export async function post(
  url: string,
  event: string,
  payload: unknown,
  secret: string,
  deliveryId?: string,
): Promise<{ status: number; body: Record<string, unknown>; deliveryId: string }> {
  const req = signedRequest({ event, payload, secret, ...(deliveryId === undefined ? {} : { deliveryId }) });
  const res = await fetch(`${url}/webhooks/github`, {
    method: 'POST',
    headers: Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => e[1] !== undefined)),
    body: new Uint8Array(req.body),
  });
  return { status: res.status, body: await res.json(), deliveryId: req.headers['x-github-delivery'] ?? '' };
}

/** Every live message text in the threads of `channelId` (and the thread starters in the channel). */
export function messagesIn(emulator: DiscordEmulator, parentId: string): string[] {
  const starters = emulator.state.messages(parentId).filter((m) => !m.deleted);
  const inThreads = emulator.state
    .threads({ parentId })
    .flatMap((t) => emulator.state.messages(t.id))
    .filter((m) => !m.deleted && !starters.some((s) => s.id === m.id));
  return [...starters, ...inThreads].map((m) => m.content);
}
