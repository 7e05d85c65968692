import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Routes } from 'discord-api-types/v10';
import { createDiscordPort, type DiscordPortOptions } from '../../../lambdas/adapters/discord';
import { DiscordError, type DiscordPort, type Log, METRIC, type MetricsSink } from '../../../lambdas/core/ports';
import { startTestDiscord, type TestDiscord } from '../../helpers/emulator';

const alice = '111111111111111111';
const bob = '222222222222222222';
const role = '333333333333333333';

let d: TestDiscord;
let port: DiscordPort;
let logLines: string[];
let metricCalls: { name: string; value: number; dimensions: Readonly<Record<string, string>> }[];

const log: Log = {
  debug: (message, extra) => logLines.push(JSON.stringify({ level: 'debug', message, ...extra })),
  info: (message, extra) => logLines.push(JSON.stringify({ level: 'info', message, ...extra })),
  warn: (message, extra) => logLines.push(JSON.stringify({ level: 'warn', message, ...extra })),
  error: (message, extra) => logLines.push(JSON.stringify({ level: 'error', message, ...extra })),
};
const metrics: MetricsSink = {
  count: (name, value = 1, dimensions = {}) => metricCalls.push({ name, value, dimensions }),
  milliseconds: () => undefined,
};

function makePort(overrides: Partial<DiscordPortOptions> = {}): DiscordPort {
  return createDiscordPort({
    token: d.token,
    api: d.emu.url,
    log,
    metrics,
    userAgentSuffix: 'discord-pr-threads/test',
    ...overrides,
  });
}

beforeEach(async () => {
  logLines = [];
  metricCalls = [];
  d = await startTestDiscord({ forumTags: ['Open', 'Merged'] });
  port = makePort();
});
afterEach(() => d.close());

const message = (content: string, mentionUserIds: string[] = []) => ({ content, mentionUserIds });
const failure = async (promise: Promise<unknown>): Promise<DiscordError> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DiscordError)) throw new Error(`expected a DiscordError, got ${String(err)}`);
  return err;
};
const tagId = (name: string): string => {
  const tag = d.emu.state.channel(d.forumChannelId)?.tags.find((t) => t.name === name);
  if (!tag) throw new Error(`no tag ${name}`);
  return tag.id;
};
async function textThread(name = 'PR #1 · Title') {
  const starter = await port.createMessage(d.textChannelId, { ...message('summary'), nonce: `starter-${name}` });
  return port.startThreadFromMessage(d.textChannelId, starter.id, name);
}

describe('channels and tags', () => {
  test('getChannel tells text, forum (with tags) and other channels apart', async () => {
    const thread = await textThread();
    expect(await port.getChannel(d.textChannelId)).toEqual({
      id: d.textChannelId,
      kind: 'text',
      guildId: d.guildId,
      tags: [],
    });
    expect(await port.getChannel(d.forumChannelId)).toMatchObject({
      kind: 'forum',
      tags: [
        { id: tagId('Open'), name: 'Open' },
        { id: tagId('Merged'), name: 'Merged' },
      ],
    });
    expect((await port.getChannel(thread.id)).kind).toBe('other');
  });

  test('setForumTags keeps existing ids, creates the missing tags and returns the full list', async () => {
    const openId = tagId('Open');
    const tags = await port.setForumTags(d.forumChannelId, [{ id: openId, name: 'Open' }, { name: 'Approved' }]);
    expect(tags.map((t) => t.name)).toEqual(['Open', 'Approved']);
    expect(tags[0]?.id).toBe(openId);
    expect(d.emu.state.channel(d.forumChannelId)?.tags).toEqual(tags);
  });

  test('setForumTags on a text channel is invalid', async () => {
    const err = await failure(port.setForumTags(d.textChannelId, [{ name: 'Open' }]));
    expect(err.kind).toBe('invalid');
  });
});

describe('messages', () => {
  test('createMessage sends allowed_mentions with parse [] and only the explicit users', async () => {
    const { id } = await port.createMessage(d.textChannelId, {
      ...message(`@everyone @here <@${alice}> <@${bob}> <@&${role}> review please`, [alice]),
      nonce: 'd1:0',
    });
    expect(d.emu.state.message(id)).toMatchObject({
      allowedMentions: { parse: [], users: [alice], roles: [], replied_user: false },
      mentionsDefaulted: false,
      mentions: [alice],
      mentionRoles: [],
      mentionEveryone: false,
      nonce: 'd1:0',
    });
  });

  test('@everyone in content never pings, even with no users to mention', async () => {
    const { id } = await port.createMessage(d.textChannelId, { ...message('@everyone look'), nonce: 'n-everyone' });
    expect(d.emu.state.message(id)).toMatchObject({ mentionEveryone: false, mentions: [], mentionsDefaulted: false });
  });

  test('the same nonce twice creates one message (enforce_nonce)', async () => {
    const input = { ...message('once'), nonce: 'delivery-7:2' };
    const first = await port.createMessage(d.textChannelId, input);
    const second = await port.createMessage(d.textChannelId, input);
    expect(second.id).toBe(first.id);
    expect(d.emu.state.messages(d.textChannelId)).toHaveLength(1);
  });

  test('a reply references its parent and does not ping the replied author', async () => {
    const thread = await textThread();
    const parent = await port.createMessage(thread.id, { ...message('comment'), nonce: 'c1' });
    const reply = await port.createMessage(thread.id, {
      ...message('reply'),
      nonce: 'c2',
      replyToMessageId: parent.id,
    });
    expect(d.emu.state.message(reply.id)).toMatchObject({ replyTo: parent.id, mentions: [], type: 19 });
  });

  test('a reply to a deleted message is still delivered (fail_if_not_exists: false)', async () => {
    const parent = await port.createMessage(d.textChannelId, { ...message('gone soon'), nonce: 'p' });
    await port.deleteMessage(d.textChannelId, parent.id);
    const reply = await port.createMessage(d.textChannelId, {
      ...message('reply'),
      nonce: 'r',
      replyToMessageId: parent.id,
    });
    expect(d.emu.state.message(reply.id)?.replyTo).toBeNull();
  });

  test('editMessage sends allowed_mentions again and replaces embeds', async () => {
    const { id } = await port.createMessage(d.textChannelId, {
      content: 'v1',
      embeds: [{ title: 'card', fields: [{ name: 'CI', value: 'running', inline: true }] }],
      mentionUserIds: [],
      nonce: 'e1',
    });
    await port.editMessage(d.textChannelId, id, message(`v2 @everyone <@${bob}>`, [bob]));
    const view = d.emu.state.message(id);
    expect(view).toMatchObject({
      content: `v2 @everyone <@${bob}>`,
      embeds: [],
      mentions: [bob],
      mentionEveryone: false,
    });
    expect(view?.history.map((h) => [h.op, h.allowedMentions])).toEqual([
      ['create', { parse: [], users: [], roles: [], replied_user: false }],
      ['edit', { parse: [], users: [bob], roles: [], replied_user: false }],
    ]);
  });

  test('deleteMessage deletes', async () => {
    const { id } = await port.createMessage(d.textChannelId, { ...message('bye'), nonce: 'del' });
    await port.deleteMessage(d.textChannelId, id);
    expect(d.emu.state.message(id)?.deleted).toBe(true);
  });
});

describe('threads', () => {
  test('startThreadFromMessage makes a public thread with the message id and a one-week auto-archive', async () => {
    const starter = await port.createMessage(d.textChannelId, { ...message('summary'), nonce: 's' });
    const thread = await port.startThreadFromMessage(d.textChannelId, starter.id, 'PR #805 · Fix it');
    expect(thread).toEqual({
      id: starter.id,
      name: 'PR #805 · Fix it',
      parentId: d.textChannelId,
      archived: false,
      locked: false,
    });
    const raw = (await d.rest().get(Routes.channel(thread.id))) as {
      type: number;
      thread_metadata: { auto_archive_duration: number };
    };
    expect([raw.type, raw.thread_metadata.auto_archive_duration]).toEqual([11, 10080]);
  });

  test('a second startThreadFromMessage on the same message → threadExists', async () => {
    const starter = await port.createMessage(d.textChannelId, { ...message('summary'), nonce: 's' });
    await port.startThreadFromMessage(d.textChannelId, starter.id, 'PR #1');
    const err = await failure(port.startThreadFromMessage(d.textChannelId, starter.id, 'PR #1'));
    expect([err.kind, err.status, err.code]).toEqual(['threadExists', 400, 160004]);
  });

  test('createForumPost creates a tagged post whose starter message has the thread id', async () => {
    const post = await port.createForumPost(d.forumChannelId, {
      name: 'PR #9 · Forum',
      message: message(`summary @here <@${alice}>`, [alice]),
      appliedTagIds: [tagId('Open')],
    });
    expect(post).toEqual({
      id: post.starterMessageId,
      name: 'PR #9 · Forum',
      parentId: d.forumChannelId,
      archived: false,
      locked: false,
      starterMessageId: post.id,
    });
    expect(d.emu.state.thread(post.id)?.appliedTags).toEqual(['Open']);
    expect(d.emu.state.message(post.id)).toMatchObject({
      allowedMentions: { parse: [], users: [alice] },
      mentions: [alice],
      mentionEveryone: false,
    });
  });

  test('editThread renames, sets tags, closes (archive + lock) and reopens', async () => {
    const post = await port.createForumPost(d.forumChannelId, {
      name: 'PR #2 · old',
      message: message('summary'),
      appliedTagIds: [tagId('Open')],
    });
    await port.editThread(post.id, { name: 'PR #2 · new', appliedTagIds: [tagId('Merged')] });
    await port.editThread(post.id, { archived: true, locked: true });
    expect(d.emu.state.thread(post.id)).toMatchObject({
      name: 'PR #2 · new',
      appliedTags: ['Merged'],
      archived: true,
      locked: true,
    });
    await port.editThread(post.id, { archived: false, locked: false });
    expect(d.emu.state.thread(post.id)).toMatchObject({ archived: false, locked: false });
  });

  test('findThread finds an active thread of the channel by exact name', async () => {
    const thread = await textThread('PR #4 · Find me');
    await port.createForumPost(d.forumChannelId, {
      name: 'PR #4 · Find me elsewhere',
      message: message('x'),
      appliedTagIds: [],
    });
    expect(await port.findThread(d.guildId, d.textChannelId, 'PR #4 · Find me')).toEqual(thread);
    expect(await port.findThread(d.guildId, d.textChannelId, 'PR #4 · Find')).toBeUndefined();
  });

  test('findThread ignores a same-named thread of another channel', async () => {
    await port.createForumPost(d.forumChannelId, { name: 'PR #5', message: message('x'), appliedTagIds: [] });
    expect(await port.findThread(d.guildId, d.textChannelId, 'PR #5')).toBeUndefined();
  });

  test('findThread finds an archived thread beyond the first page of the public archive', async () => {
    const rest = d.rest();
    const archive = async (name: string): Promise<string> => {
      const starter = (await rest.post(Routes.channelMessages(d.textChannelId), { body: { content: name } })) as {
        id: string;
      };
      await rest.post(Routes.threads(d.textChannelId, starter.id), { body: { name } });
      d.clock.advance(1000);
      await rest.patch(Routes.channel(starter.id), { body: { archived: true, locked: true } });
      return starter.id;
    };
    const target = await archive('PR #1 · oldest');
    for (let i = 2; i <= 102; i += 1) await archive(`PR #${i}`);
    const found = await port.findThread(d.guildId, d.textChannelId, 'PR #1 · oldest');
    expect(found).toEqual({
      id: target,
      name: 'PR #1 · oldest',
      parentId: d.textChannelId,
      archived: true,
      locked: true,
    });
    const pages = d.emu.state.requests().filter((r) => r.route.endsWith('/threads/archived/public'));
    expect(pages).toHaveLength(2);
  });
});

describe('error mapping', () => {
  test('429 → rateLimited with retryAfterMs, never a sleep', async () => {
    d.emu.faults.push({ match: { method: 'POST' }, kind: '429', retryAfterMs: 2_000 });
    const err = await failure(port.createMessage(d.textChannelId, { ...message('x'), nonce: 'rl' }));
    expect([err.kind, err.status]).toEqual(['rateLimited', 429]);
    expect(err.retryAfterMs).toBeGreaterThanOrEqual(2_000);
  });

  test('the rename limit → rateLimited with the time left in the window', async () => {
    const thread = await textThread('n0');
    await port.editThread(thread.id, { name: 'n1' });
    await port.editThread(thread.id, { name: 'n2' });
    const err = await failure(port.editThread(thread.id, { name: 'n3' }));
    expect(err.kind).toBe('rateLimited');
    expect(err.retryAfterMs).toBeGreaterThan(9 * 60 * 1000);
  });

  test('a deleted thread → missing (10003)', async () => {
    const thread = await textThread();
    await d.rest().delete(Routes.channel(thread.id));
    const err = await failure(port.createMessage(thread.id, { ...message('x'), nonce: 'm' }));
    expect([err.kind, err.status, err.code]).toEqual(['missing', 404, 10003]);
  });

  test('an unknown message → missingMessage (10008)', async () => {
    const err = await failure(port.editMessage(d.textChannelId, '1234567890123456789', message('x')));
    expect([err.kind, err.status, err.code]).toEqual(['missingMessage', 404, 10008]);
  });

  test('a bad token → forbidden (401); a forbidden channel → forbidden (403, 50001)', async () => {
    const unauthorized = await failure(makePort({ token: 'not-the-token' }).getChannel(d.textChannelId));
    d.emu.setForbidden(d.textChannelId);
    const forbidden = await failure(port.getChannel(d.textChannelId));
    expect([unauthorized.kind, unauthorized.status]).toEqual(['forbidden', 401]);
    expect([forbidden.kind, forbidden.status, forbidden.code]).toEqual(['forbidden', 403, 50001]);
  });

  test.each([
    [
      'content over the limit (50035)',
      () => port.createMessage(d.textChannelId, { ...message('x'.repeat(2001)), nonce: 'v' }),
      400,
      50035,
    ],
    ['an unknown guild (10004)', () => port.findThread('1234567890123456789', d.textChannelId, 'x'), 404, 10004],
  ])('%s → invalid', async (_name, call, status, code) => {
    const err = await failure(call());
    expect([err.kind, err.status, err.code]).toEqual(['invalid', status, code]);
  });

  test('posting into a closed (archived + locked) thread → invalid (50083)', async () => {
    const thread = await textThread();
    await port.editThread(thread.id, { archived: true, locked: true });
    const err = await failure(port.createMessage(thread.id, { ...message('late'), nonce: 'late' }));
    expect([err.kind, err.code]).toEqual(['invalid', 50083]);
  });

  test('5xx after the in-process retry → retry', async () => {
    d.emu.faults.push({ kind: '500', times: 2 });
    const err = await failure(port.getChannel(d.textChannelId));
    expect([err.kind, err.status]).toEqual(['retry', 500]);
    expect(d.emu.state.requests().map((r) => r.status)).toEqual([500, 500]);
  });

  test('a dropped connection → retry with status 0, named by its socket error', async () => {
    d.emu.faults.push({ kind: 'drop' });
    const err = await failure(port.getChannel(d.textChannelId));
    expect([err.kind, err.status]).toEqual(['retry', 0]);
    expect(err.message).toBe('network: SocketError: other side closed');
  });

  test('a timeout → retry with status 0', async () => {
    d.emu.faults.push({ kind: 'delay', delayMs: 10_000, times: 2 });
    const err = await failure(makePort({ timeoutMs: 100 }).getChannel(d.textChannelId));
    expect([err.kind, err.status]).toEqual(['retry', 0]);
  });
});

describe('rate limits', () => {
  test("the client's own 50 requests/s pacing waits instead of failing", async () => {
    const posted = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        port.createMessage(d.textChannelId, { ...message(`m${i}`), nonce: `burst-${i}` }),
      ),
    );
    expect(new Set(posted.map((m) => m.id)).size).toBe(60);
  });
});

describe('idempotency under faults', () => {
  test('500 after the create was applied: the in-process retry returns the same message (nonce)', async () => {
    d.emu.faults.push({ match: { method: 'POST' }, kind: '500-after-apply' });
    const { id } = await port.createMessage(d.textChannelId, { ...message('exactly once'), nonce: 'once' });
    expect(d.emu.state.messages(d.textChannelId).map((m) => m.id)).toEqual([id]);
    expect(d.emu.state.requests().map((r) => r.status)).toEqual([500, 200]);
  });

  test('a forum post is never retried in process (no nonce): one request, one post, a retry error', async () => {
    d.emu.faults.push({ match: { method: 'POST' }, kind: '500-after-apply' });
    const err = await failure(
      port.createForumPost(d.forumChannelId, { name: 'PR #3', message: message('x'), appliedTagIds: [] }),
    );
    expect(err.kind).toBe('retry');
    expect(d.emu.state.threads({ parentId: d.forumChannelId })).toHaveLength(1);
    expect(d.emu.state.requests()).toHaveLength(1);
  });
});

describe('observability', () => {
  test('DiscordRequests is counted by outcome', async () => {
    await port.getChannel(d.textChannelId);
    await failure(port.getChannel('1234567890123456789'));
    await failure(port.createMessage(d.textChannelId, { ...message(''), nonce: 'empty' }));
    d.emu.faults.push({ kind: '429', retryAfterMs: 10 });
    await failure(port.getChannel(d.forumChannelId));
    d.emu.faults.push({ kind: '500', times: 2 });
    await failure(port.deleteMessage(d.textChannelId, '1234567890123456789'));
    d.emu.faults.push({ kind: 'drop' });
    await failure(port.editThread(d.textChannelId, { name: 'x' }));
    await failure(makePort({ token: 'nope' }).getChannel(d.textChannelId));
    d.emu.setForbidden(d.textChannelId);
    await failure(port.createMessage(d.textChannelId, { ...message('x'), nonce: 'f' }));

    const counts: Record<string, number> = {};
    for (const call of metricCalls.filter((c) => c.name === METRIC.discordRequests)) {
      const outcome = call.dimensions['Outcome'] ?? '?';
      counts[outcome] = (counts[outcome] ?? 0) + call.value;
    }
    expect(counts).toEqual({ ok: 1, '404': 1, '4xx': 1, '429': 1, '5xx': 2, network: 1, '401': 1, '403': 1 });
  });

  test('the token never appears in logs, even on 401s and failures', async () => {
    await port.getChannel(d.textChannelId);
    await failure(makePort({ token: `${d.token}-wrong` }).getChannel(d.textChannelId));
    await failure(port.createMessage(d.textChannelId, { ...message('x'.repeat(2001)), nonce: 'big' }));
    d.emu.faults.push({ kind: 'drop' });
    await failure(port.getChannel(d.textChannelId));
    expect(logLines.some((line) => line.includes('"level":"warn"'))).toBe(true);
    expect(logLines.filter((line) => line.includes(d.token))).toEqual([]);
  });

  test('the User-Agent carries the configured suffix', async () => {
    await port.getChannel(d.textChannelId);
    expect(d.emu.state.requests()[0]?.userAgent).toMatch(/^DiscordBot \(.*\) .*discord-pr-threads\/test$/);
  });
});

describe('transport: global fetch', () => {
  /** A Discord stand-in that resets (TCP RST) the connection of its first `resets` requests, then answers a channel. */
  async function resettingApi(resets: number) {
    let seen = 0;
    const server = createServer((req, res) => {
      seen += 1;
      if (seen <= resets) {
        req.socket.resetAndDestroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: '123456789012345678', type: 0, guild_id: '876543210987654321' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port: listening } = server.address() as AddressInfo;
    return {
      api: `http://127.0.0.1:${listening}`,
      seen: () => seen,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  test("a connection reset is retried in process (the socket error, not fetch's TypeError, reaches the client)", async () => {
    const api = await resettingApi(1);
    try {
      const channel = await makePort({ api: api.api }).getChannel('123456789012345678');
      expect(channel).toEqual({ id: '123456789012345678', kind: 'text', guildId: '876543210987654321', tags: [] });
      expect(api.seen()).toBe(2);
    } finally {
      await api.close();
    }
  });

  test('without retries a connection reset → retry with status 0, named ECONNRESET', async () => {
    const api = await resettingApi(1);
    try {
      const err = await failure(makePort({ api: api.api, retries: 0 }).getChannel('123456789012345678'));
      expect([err.kind, err.status]).toEqual(['retry', 0]);
      expect(err.message).toMatch(/^network: .*ECONNRESET/);
      expect(api.seen()).toBe(1);
    } finally {
      await api.close();
    }
  });
});
