import { DiscordAPIError, HTTPError, makeURLSearchParams, RateLimitError, type REST } from '@discordjs/rest';
import { type APIChannel, type APIMessage, Routes } from 'discord-api-types/v10';
import { snowflakeTime } from '../../local/discord-emulator';
import { startTestDiscord, type TestDiscord } from '../helpers/emulator';

let d: TestDiscord;
let rest: REST;

beforeEach(async () => {
  d = await startTestDiscord({ forumTags: ['Open', 'Draft', 'Merged'] });
  rest = d.rest();
});
afterEach(() => d.close());

const post = (channelId: string, body: object) =>
  rest.post(Routes.channelMessages(channelId), { body }) as Promise<APIMessage>;
const rejection = async (promise: Promise<unknown>): Promise<DiscordAPIError> => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DiscordAPIError)) throw new Error(`expected a DiscordAPIError, got ${String(err)}`);
  return err;
};
const forumTagId = (name: string): string => {
  const tag = d.emu.state.channel(d.forumChannelId)?.tags.find((t) => t.name === name);
  if (!tag) throw new Error(`no tag ${name}`);
  return tag.id;
};
async function publicThread(name = 'PR #1 · Title'): Promise<APIChannel> {
  const starter = await post(d.textChannelId, { content: 'starter' });
  return rest.post(Routes.threads(d.textChannelId, starter.id), { body: { name } }) as Promise<APIChannel>;
}

describe('auth', () => {
  test('a request without a token gets 401 { message: "401: Unauthorized", code: 0 }', async () => {
    const res = await fetch(`${d.emu.url}/v10/channels/${d.textChannelId}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: '401: Unauthorized', code: 0 });
  });

  test('a wrong token gets 401 through the REST client and counts as an invalid request', async () => {
    const err = await rejection(d.rest({}, 'wrong-token').get(Routes.channel(d.textChannelId)));
    expect([err.status, err.code]).toEqual([401, 0]);
    expect(d.emu.invalidRequestCount()).toBe(1);
  });

  test('a forbidden channel answers 403 Missing Access (50001), also for its threads', async () => {
    const thread = await publicThread();
    d.emu.setForbidden(d.textChannelId);
    const onChannel = await rejection(rest.get(Routes.channel(d.textChannelId)));
    const inThread = await rejection(post(thread.id, { content: 'x' }));
    expect([onChannel.status, onChannel.code, inThread.code]).toEqual([403, 50001, 50001]);
    expect(d.emu.invalidRequestCount()).toBe(2);
  });

  test('the invalid-request count covers 401/403/429 within 10 minutes only', async () => {
    await rejection(d.rest({}, 'nope').get(Routes.channel(d.textChannelId)));
    await rejection(rest.get(Routes.channel('1234567890123456789')));
    expect(d.emu.invalidRequestCount()).toBe(1);
    d.clock.advance(10 * 60 * 1000);
    expect(d.emu.invalidRequestCount()).toBe(0);
  });
});

describe('channels and unknown ids', () => {
  test('text and forum channels have Discord types 0 and 15; forums list their tags', async () => {
    const text = (await rest.get(Routes.channel(d.textChannelId))) as APIChannel;
    const forum = (await rest.get(Routes.channel(d.forumChannelId))) as {
      type: number;
      available_tags: { name: string }[];
    };
    expect(text.type).toBe(0);
    expect(forum.type).toBe(15);
    expect(forum.available_tags.map((t) => t.name)).toEqual(['Open', 'Draft', 'Merged']);
  });

  test.each([
    ['unknown channel', () => rest.get(Routes.channel('1234567890123456789')), 10003],
    ['unknown message', () => rest.get(Routes.channelMessage(d.textChannelId, '1234567890123456789')), 10008],
    ['unknown guild', () => rest.get(Routes.guildActiveThreads('1234567890123456789')), 10004],
  ])('%s → 404 with its code', async (_name, request, code) => {
    const err = await rejection(request());
    expect([err.status, err.code]).toEqual([404, code]);
  });

  test('forum available_tags: existing ids kept, new tags get ids, more than 20 → 50035', async () => {
    const openId = forumTagId('Open');
    const updated = (await rest.patch(Routes.channel(d.forumChannelId), {
      body: { available_tags: [{ id: openId, name: 'Open' }, { name: 'Approved' }] },
    })) as { available_tags: { id: string; name: string }[] };
    expect(updated.available_tags[0]).toMatchObject({ id: openId, name: 'Open' });
    expect(updated.available_tags[1]?.name).toBe('Approved');
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ name: `t${i}` }));
    const err = await rejection(rest.patch(Routes.channel(d.forumChannelId), { body: { available_tags: tooMany } }));
    expect(err.code).toBe(50035);
  });

  test('ids are timestamp snowflakes of 17-19 digits that follow the clock', async () => {
    const first = await post(d.textChannelId, { content: 'a' });
    d.clock.advance(60_000);
    const second = await post(d.textChannelId, { content: 'b' });
    expect(first.id).toMatch(/^\d{17,19}$/);
    expect(snowflakeTime(second.id) - snowflakeTime(first.id)).toBe(60_000);
    expect(BigInt(second.id) > BigInt(first.id)).toBe(true);
  });
});

describe('messages', () => {
  test('create, get, edit and delete a message', async () => {
    const created = await post(d.textChannelId, { content: 'hello' });
    const fetched = (await rest.get(Routes.channelMessage(d.textChannelId, created.id))) as APIMessage;
    expect(fetched.content).toBe('hello');
    const edited = (await rest.patch(Routes.channelMessage(d.textChannelId, created.id), {
      body: { content: 'hello again' },
    })) as APIMessage;
    expect(edited.content).toBe('hello again');
    expect(edited.edited_timestamp).not.toBeNull();
    await rest.delete(Routes.channelMessage(d.textChannelId, created.id));
    const gone = await rejection(rest.get(Routes.channelMessage(d.textChannelId, created.id)));
    expect(gone.code).toBe(10008);
    expect(d.emu.state.message(created.id)?.deleted).toBe(true);
  });

  const embed = (patch: object) => ({ embeds: [{ title: 't', ...patch }] });
  test.each([
    ['content over 2000', { content: 'x'.repeat(2001) }, 'content'],
    ['11 embeds', { embeds: Array.from({ length: 11 }, () => ({ title: 't' })) }, 'embeds'],
    ['embed title over 256', embed({ title: 'x'.repeat(257) }), 'embeds'],
    ['embed description over 4096', embed({ description: 'x'.repeat(4097) }), 'embeds'],
    ['26 fields', embed({ fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })) }), 'embeds'],
    ['field name over 256', embed({ fields: [{ name: 'x'.repeat(257), value: 'v' }] }), 'embeds'],
    ['field value over 1024', embed({ fields: [{ name: 'n', value: 'x'.repeat(1025) }] }), 'embeds'],
    ['footer over 2048', embed({ footer: { text: 'x'.repeat(2049) } }), 'embeds'],
    ['author name over 256', embed({ author: { name: 'x'.repeat(257) } }), 'embeds'],
    [
      'embeds over 6000 in total',
      { embeds: [{ description: 'x'.repeat(4000) }, { description: 'y'.repeat(2001) }] },
      'embeds',
    ],
    ['nonce over 25', { content: 'x', nonce: 'n'.repeat(26), enforce_nonce: true }, 'nonce'],
  ])('%s → 400 Invalid Form Body (50035) naming the field', async (_name, body, field) => {
    const err = await rejection(post(d.textChannelId, body));
    expect([err.status, err.code]).toEqual([400, 50035]);
    expect(Object.keys((err.rawError as { errors: object }).errors)).toEqual([field]);
    expect(d.emu.state.messages(d.textChannelId)).toHaveLength(0);
  });

  test('limits hold exactly at the maximum', async () => {
    await post(d.textChannelId, {
      content: 'x'.repeat(2000),
      embeds: [{ title: 't'.repeat(256), description: 'd'.repeat(4096) }, { description: 'e'.repeat(1648) }],
    });
    expect(d.emu.state.messages(d.textChannelId)).toHaveLength(1);
  });

  test('an empty message → 50006', async () => {
    const err = await rejection(post(d.textChannelId, { content: '', embeds: [] }));
    expect([err.status, err.code]).toEqual([400, 50006]);
  });

  test('an edit is validated against the same limits', async () => {
    const created = await post(d.textChannelId, { content: 'ok' });
    const err = await rejection(
      rest.patch(Routes.channelMessage(d.textChannelId, created.id), { body: { content: 'x'.repeat(2001) } }),
    );
    expect(err.code).toBe(50035);
  });

  test('a forum channel takes no plain messages (40058)', async () => {
    const err = await rejection(post(d.forumChannelId, { content: 'x' }));
    expect(err.code).toBe(40058);
  });

  test('message_reference makes a reply (type 19); an unknown target fails unless fail_if_not_exists is false', async () => {
    const parent = await post(d.textChannelId, { content: 'parent' });
    const reply = await post(d.textChannelId, {
      content: 'reply',
      message_reference: { message_id: parent.id },
      allowed_mentions: { parse: [] },
    });
    expect(reply.type).toBe(19);
    expect(d.emu.state.message(reply.id)?.replyTo).toBe(parent.id);
    const unknown = { message_id: '1234567890123456789' };
    const err = await rejection(post(d.textChannelId, { content: 'r', message_reference: unknown }));
    expect(err.code).toBe(50035);
    const loose = await post(d.textChannelId, {
      content: 'r',
      message_reference: { ...unknown, fail_if_not_exists: false },
    });
    expect(d.emu.state.message(loose.id)?.replyTo).toBeNull();
  });
});

describe('nonce + enforce_nonce', () => {
  const body = { content: 'once', nonce: 'delivery-1:0', enforce_nonce: true };

  test('a repeat inside the window returns the first message', async () => {
    const first = await post(d.textChannelId, body);
    d.clock.advance(60_000);
    const second = await post(d.textChannelId, body);
    expect(second.id).toBe(first.id);
    expect(d.emu.state.messages(d.textChannelId)).toHaveLength(1);
  });

  test('after the window a repeat creates a new message', async () => {
    const first = await post(d.textChannelId, body);
    d.clock.advance(180_000);
    const second = await post(d.textChannelId, body);
    expect(second.id).not.toBe(first.id);
    expect(d.emu.state.messages(d.textChannelId)).toHaveLength(2);
  });

  test('without enforce_nonce, or in another channel, the nonce does not deduplicate', async () => {
    await post(d.textChannelId, { content: 'a', nonce: 'n1' });
    await post(d.textChannelId, { content: 'a', nonce: 'n1' });
    const thread = await publicThread();
    await post(d.textChannelId, body);
    await post(thread.id, body);
    expect(d.emu.state.messages(d.textChannelId)).toHaveLength(4);
    expect(d.emu.state.messages(thread.id)).toHaveLength(1);
  });

  test('the window is configurable', async () => {
    await d.close();
    d = await startTestDiscord({ nonceWindowMs: 10_000 });
    rest = d.rest();
    const first = await post(d.textChannelId, body);
    d.clock.advance(10_000);
    expect((await post(d.textChannelId, body)).id).not.toBe(first.id);
  });
});

describe('allowed_mentions', () => {
  const alice = '111111111111111111';
  const bob = '222222222222222222';
  const role = '333333333333333333';
  const content = `@everyone @here <@${alice}> <@!${bob}> <@&${role}>`;

  test('absent → Discord defaults: everything pings, and the message records the default', async () => {
    const m = await post(d.textChannelId, { content });
    expect(m.mention_everyone).toBe(true);
    const view = d.emu.state.message(m.id);
    expect(view).toMatchObject({ allowedMentions: null, mentionsDefaulted: true, mentionEveryone: true });
    expect(view?.mentions).toEqual([alice, bob]);
    expect(view?.mentionRoles).toEqual([role]);
  });

  test('parse: [] with users pings exactly those users', async () => {
    const m = await post(d.textChannelId, { content, allowed_mentions: { parse: [], users: [bob] } });
    expect(m.mention_everyone).toBe(false);
    expect(m.mentions.map((u) => u.id)).toEqual([bob]);
    expect(d.emu.state.message(m.id)).toMatchObject({
      allowedMentions: { parse: [], users: [bob], roles: [], replied_user: false },
      mentionsDefaulted: false,
      mentionRoles: [],
    });
  });

  test('@everyone pings only with parse: ["everyone"] and the text present; embeds never ping', async () => {
    const withParse = await post(d.textChannelId, { content: 'hey @here', allowed_mentions: { parse: ['everyone'] } });
    const inEmbed = await post(d.textChannelId, {
      content: 'see embed',
      embeds: [{ description: `@everyone <@${alice}>` }],
      allowed_mentions: { parse: ['everyone', 'users'] },
    });
    expect(withParse.mention_everyone).toBe(true);
    expect([inEmbed.mention_everyone, inEmbed.mentions]).toEqual([false, []]);
  });

  test('an edit without allowed_mentions falls back to the defaults, and the history shows it', async () => {
    const m = await post(d.textChannelId, { content: 'quiet', allowed_mentions: { parse: [] } });
    await rest.patch(Routes.channelMessage(d.textChannelId, m.id), { body: { content: '@everyone' } });
    const view = d.emu.state.message(m.id);
    expect(view?.mentionEveryone).toBe(true);
    expect(view?.history.map((h) => [h.op, h.allowedMentions === null])).toEqual([
      ['create', false],
      ['edit', true],
    ]);
  });

  test('parse "users" together with a users list is rejected (50035)', async () => {
    const err = await rejection(
      post(d.textChannelId, { content: 'x', allowed_mentions: { parse: ['users'], users: [alice] } }),
    );
    expect(err.code).toBe(50035);
  });
});

describe('threads', () => {
  test('POST /channels/{id}/threads without type creates a PRIVATE thread (12); type 11 a public one', async () => {
    const dflt = (await rest.post(Routes.threads(d.textChannelId), { body: { name: 'no type' } })) as APIChannel;
    const pub = (await rest.post(Routes.threads(d.textChannelId), {
      body: { name: 'public', type: 11 },
    })) as APIChannel;
    expect([dflt.type, pub.type]).toEqual([12, 11]);
    expect(d.emu.state.thread(dflt.id)?.private).toBe(true);
  });

  test('a thread from a message is public, has the message id, and a second one → 160004', async () => {
    const starter = await post(d.textChannelId, { content: 'starter' });
    const thread = (await rest.post(Routes.threads(d.textChannelId, starter.id), {
      body: { name: 'PR #7 · x', auto_archive_duration: 10080 },
    })) as APIChannel;
    expect([thread.id, thread.type]).toEqual([starter.id, 11]);
    const again = await rejection(rest.post(Routes.threads(d.textChannelId, starter.id), { body: { name: 'again' } }));
    expect([again.status, again.code]).toEqual([400, 160004]);
    expect(d.emu.state.threads()).toHaveLength(1);
  });

  test.each([
    ['empty', ''],
    ['101 characters', 'x'.repeat(101)],
  ])('a thread name that is %s → 50035', async (_name, name) => {
    const err = await rejection(rest.post(Routes.threads(d.textChannelId), { body: { name, type: 11 } }));
    expect(err.code).toBe(50035);
  });

  test('a forum post requires a message (50035)', async () => {
    const err = await rejection(rest.post(Routes.threads(d.forumChannelId), { body: { name: 'post' } }));
    expect(err.code).toBe(50035);
    expect(Object.keys((err.rawError as { errors: object }).errors)).toEqual(['message']);
  });

  test('a forum post is a public thread with tags whose starter message has the thread id', async () => {
    const post = (await rest.post(Routes.threads(d.forumChannelId), {
      body: { name: 'PR #9 · y', message: { content: 'summary' }, applied_tags: [forumTagId('Open')] },
    })) as APIChannel & { message: APIMessage };
    expect(post.type).toBe(11);
    expect(post.message.id).toBe(post.id);
    expect(d.emu.state.thread(post.id)).toMatchObject({ appliedTags: ['Open'], starterMessageId: post.id });
    expect(d.emu.state.messages(post.id).map((m) => m.content)).toEqual(['summary']);
  });

  test('a forum post with more than 5 tags, or an unknown tag, → 50035', async () => {
    const six = Array.from({ length: 6 }, () => forumTagId('Open'));
    const tooMany = await rejection(
      rest.post(Routes.threads(d.forumChannelId), {
        body: { name: 'p', message: { content: 'x' }, applied_tags: six },
      }),
    );
    const unknown = await rejection(
      rest.post(Routes.threads(d.forumChannelId), {
        body: { name: 'p', message: { content: 'x' }, applied_tags: ['1234567890123456789'] },
      }),
    );
    expect([tooMany.code, unknown.code]).toEqual([50035, 50035]);
  });

  test('PATCH sets name, applied_tags, archived and locked', async () => {
    const post = (await rest.post(Routes.threads(d.forumChannelId), {
      body: { name: 'p', message: { content: 'x' }, applied_tags: [forumTagId('Open')] },
    })) as APIChannel;
    await rest.patch(Routes.channel(post.id), { body: { name: 'renamed', applied_tags: [forumTagId('Merged')] } });
    await rest.patch(Routes.channel(post.id), { body: { archived: true, locked: true } });
    expect(d.emu.state.thread(post.id)).toMatchObject({
      name: 'renamed',
      appliedTags: ['Merged'],
      archived: true,
      locked: true,
    });
  });
});

describe('archived and locked threads', () => {
  test('archive + lock in one PATCH while active is fine; then sending → 50083', async () => {
    const thread = await publicThread();
    await rest.patch(Routes.channel(thread.id), { body: { archived: true, locked: true } });
    const err = await rejection(post(thread.id, { content: 'late' }));
    expect([err.status, err.code]).toEqual([400, 50083]);
  });

  test('sending to an archived, unlocked thread unarchives it', async () => {
    const thread = await publicThread();
    await rest.patch(Routes.channel(thread.id), { body: { archived: true } });
    await post(thread.id, { content: 'wake up' });
    expect(d.emu.state.thread(thread.id)?.archived).toBe(false);
  });

  test.each([
    ['a rename', { name: 'new name' }],
    ['locking without unarchiving', { locked: true }],
    ['archive + lock again', { archived: true, locked: true }],
  ])('PATCH with %s on an archived thread → 50083', async (_name, body) => {
    const thread = await publicThread();
    await rest.patch(Routes.channel(thread.id), { body: { archived: true } });
    const err = await rejection(rest.patch(Routes.channel(thread.id), { body }));
    expect(err.code).toBe(50083);
  });

  test('PATCH with archived: false unlocks and unarchives a closed thread', async () => {
    const thread = await publicThread();
    await rest.patch(Routes.channel(thread.id), { body: { archived: true, locked: true } });
    await rest.patch(Routes.channel(thread.id), { body: { archived: false, locked: false } });
    expect(d.emu.state.thread(thread.id)).toMatchObject({ archived: false, locked: false });
  });

  test('editing or deleting a message in an archived thread → 50083', async () => {
    const thread = await publicThread();
    const m = await post(thread.id, { content: 'card' });
    await rest.patch(Routes.channel(thread.id), { body: { archived: true } });
    const edit = await rejection(rest.patch(Routes.channelMessage(thread.id, m.id), { body: { content: 'x' } }));
    const del = await rejection(rest.delete(Routes.channelMessage(thread.id, m.id)));
    expect([edit.code, del.code]).toEqual([50083, 50083]);
  });

  test('a bot with MANAGE_THREADS may post in a locked, active thread', async () => {
    const thread = await publicThread();
    await rest.patch(Routes.channel(thread.id), { body: { locked: true } });
    await post(thread.id, { content: 'moderator bot' });
    expect(d.emu.state.messages(thread.id)).toHaveLength(1);
  });

  test('without MANAGE_THREADS: a locked thread refuses messages (160005) and locking → 50013', async () => {
    await d.close();
    d = await startTestDiscord({ manageThreads: false });
    rest = d.rest();
    const thread = await publicThread();
    const lockErr = await rejection(rest.patch(Routes.channel(thread.id), { body: { locked: true } }));
    d.emu.moderate(thread.id, { locked: true });
    const sendErr = await rejection(post(thread.id, { content: 'x' }));
    expect([lockErr.status, lockErr.code, sendErr.code]).toEqual([403, 50013, 160005]);
  });

  test('a moderator archiving a thread in the UI shows through the API', async () => {
    const thread = await publicThread();
    d.emu.moderate(thread.id, { archived: true, locked: true, name: 'renamed by a human' });
    const fetched = (await rest.get(Routes.channel(thread.id))) as APIChannel & {
      thread_metadata: { archived: boolean; locked: boolean };
    };
    expect([fetched.name, fetched.thread_metadata.archived, fetched.thread_metadata.locked]).toEqual([
      'renamed by a human',
      true,
      true,
    ]);
  });
});

describe('thread listings', () => {
  test('guild active threads lists unarchived threads with members', async () => {
    const open = await publicThread('open');
    const closed = await publicThread('closed');
    await rest.patch(Routes.channel(closed.id), { body: { archived: true } });
    const list = (await rest.get(Routes.guildActiveThreads(d.guildId))) as { threads: APIChannel[]; members: object[] };
    expect(list.threads.map((t) => t.id)).toEqual([open.id]);
    expect(list.members).toHaveLength(1);
  });

  test('public archived threads: newest archive first, paginated with before + limit', async () => {
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const t = await publicThread(name);
      d.clock.advance(1000);
      await rest.patch(Routes.channel(t.id), { body: { archived: true } });
      ids.push(t.id);
    }
    const route = Routes.channelThreads(d.textChannelId, 'public');
    type Page = { threads: (APIChannel & { thread_metadata: { archive_timestamp: string } })[]; has_more: boolean };
    const first = (await rest.get(route, { query: makeURLSearchParams({ limit: 2 }) })) as Page;
    expect(first.threads.map((t) => t.name)).toEqual(['c', 'b']);
    expect(first.has_more).toBe(true);
    const before = first.threads[1]?.thread_metadata.archive_timestamp ?? '';
    const second = (await rest.get(route, { query: makeURLSearchParams({ limit: 2, before }) })) as Page;
    expect([second.threads.map((t) => t.name), second.has_more]).toEqual([['a'], false]);
  });

  test('private threads are not in the public archive', async () => {
    const priv = (await rest.post(Routes.threads(d.textChannelId), { body: { name: 'secret' } })) as APIChannel;
    await rest.patch(Routes.channel(priv.id), { body: { archived: true } });
    const list = (await rest.get(Routes.channelThreads(d.textChannelId, 'public'))) as { threads: APIChannel[] };
    expect(list.threads).toHaveLength(0);
  });
});

describe('rename limit', () => {
  test('a third rename within 10 minutes → 429 (RateLimitError with rejectOnRateLimit); later it works', async () => {
    const thread = await publicThread('n0');
    await rest.patch(Routes.channel(thread.id), { body: { name: 'n1' } });
    await rest.patch(Routes.channel(thread.id), { body: { name: 'n2' } });
    const err = await rest.patch(Routes.channel(thread.id), { body: { name: 'n3' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).retryAfter).toBeGreaterThan(590_000);
    expect(d.emu.state.thread(thread.id)?.name).toBe('n2');
    d.clock.advance(10 * 60 * 1000);
    await rest.patch(Routes.channel(thread.id), { body: { name: 'n3' } });
    expect(d.emu.state.thread(thread.id)?.name).toBe('n3');
  });

  test('archiving and unarchiving do not spend the rename budget', async () => {
    const thread = await publicThread('n0');
    await rest.patch(Routes.channel(thread.id), { body: { name: 'n1' } });
    await rest.patch(Routes.channel(thread.id), { body: { archived: true, locked: true } });
    await rest.patch(Routes.channel(thread.id), { body: { archived: false, locked: false } });
    await rest.patch(Routes.channel(thread.id), { body: { name: 'n2' } });
    expect(d.emu.state.thread(thread.id)).toMatchObject({ name: 'n2', renames: 2 });
  });

  test('the limit can be switched off', async () => {
    await d.close();
    d = await startTestDiscord({ renameLimit: false });
    rest = d.rest();
    const thread = await publicThread('n0');
    for (const name of ['n1', 'n2', 'n3', 'n4']) await rest.patch(Routes.channel(thread.id), { body: { name } });
    expect(d.emu.state.thread(thread.id)).toMatchObject({ name: 'n4', renames: 4 });
  });
});

describe('faults', () => {
  test('a 429 carries retry_after and X-RateLimit-* headers; @discordjs/rest throws RateLimitError', async () => {
    const headers: Record<string, string | null>[] = [];
    rest.on('response', (_req, res) => {
      const names = ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset-after'];
      headers.push(Object.fromEntries(names.map((n) => [n, res.headers.get(n)])));
    });
    d.emu.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: '429', retryAfterMs: 2500 });
    const err = await post(d.textChannelId, { content: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ global: false, retryAfter: 3050 });
    expect(headers).toEqual([
      {
        'retry-after': '3',
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset-after': '2.500',
      },
    ]);
    expect(d.emu.state.messages(d.textChannelId)).toHaveLength(0);
    expect(d.emu.invalidRequestCount()).toBe(1);
  });

  test('the 429 body has retry_after in seconds and global: false', async () => {
    const bodies: Promise<unknown>[] = [];
    // @discordjs/rest never reads a 429 body, so the listener may.
    rest.on('response', (_req, res) => bodies.push(res.json()));
    d.emu.faults.push({ kind: '429', retryAfterMs: 1500 });
    await expect(rest.get(Routes.channel(d.textChannelId))).rejects.toBeInstanceOf(RateLimitError);
    expect(await Promise.all(bodies)).toEqual([
      { message: 'You are being rate limited.', retry_after: 1.5, global: false },
    ]);
  });

  test('500 applies nothing; 500-after-apply applies the write then fails', async () => {
    d.emu.faults.push({ kind: '500' }, { kind: '500-after-apply' });
    await expect(post(d.textChannelId, { content: 'lost' })).rejects.toBeInstanceOf(HTTPError);
    await expect(post(d.textChannelId, { content: 'applied' })).rejects.toBeInstanceOf(HTTPError);
    expect(d.emu.state.messages(d.textChannelId).map((m) => m.content)).toEqual(['applied']);
  });

  test('500-after-apply + the client retry + a nonce = one message', async () => {
    d.emu.faults.push({ kind: '500-after-apply' });
    const retrying = d.rest({ retries: 1 });
    const m = (await retrying.post(Routes.channelMessages(d.textChannelId), {
      body: { content: 'once', nonce: 'k1', enforce_nonce: true },
    })) as APIMessage;
    expect(d.emu.state.messages(d.textChannelId).map((x) => x.id)).toEqual([m.id]);
    expect(d.emu.state.requests().map((r) => r.status)).toEqual([500, 200]);
  });

  test('times, method and route narrow a fault; it is consumed', async () => {
    d.emu.faults.push({ match: { method: 'GET', route: /^\/channels\/\d+$/ }, kind: '500', times: 2 });
    await post(d.textChannelId, { content: 'unaffected' });
    await expect(rest.get(Routes.channel(d.textChannelId))).rejects.toBeInstanceOf(HTTPError);
    await expect(rest.get(Routes.channel(d.textChannelId))).rejects.toBeInstanceOf(HTTPError);
    await rest.get(Routes.channel(d.textChannelId));
    expect(d.emu.faults.pending).toHaveLength(0);
  });

  test('drop closes the connection without an answer', async () => {
    d.emu.faults.push({ kind: 'drop' });
    const err = await rest.get(Routes.channel(d.textChannelId)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(DiscordAPIError);
    expect(d.emu.state.requests()[0]).toMatchObject({ status: 0, fault: 'drop' });
  });

  test('delay past the client timeout aborts the request', async () => {
    d.emu.faults.push({ kind: 'delay', delayMs: 5_000 });
    const err = await d
      .rest({ timeout: 50 })
      .get(Routes.channel(d.textChannelId))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
  });

  test('chaos mode is deterministic for a seed', async () => {
    const outcomes = async (): Promise<(string | number)[]> => {
      const run = await startTestDiscord({ chaos: { seed: 42, rate5xx: 0.3, rate429: 0.2 } });
      for (let i = 0; i < 20; i += 1) {
        // A fresh client per request: no client-side bucket state, so every request reaches the emulator.
        await run
          .rest()
          .get(Routes.channel(run.textChannelId))
          .catch(() => undefined);
      }
      await run.close();
      return run.emu.state.requests().map((r) => r.fault ?? r.status);
    };
    const first = await outcomes();
    expect(await outcomes()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, '429', '500']));
  });
});

describe('state for tests and the web page', () => {
  test('snapshot() is plain JSON with threads, tag names, messages and the request log', async () => {
    const post = (await rest.post(Routes.threads(d.forumChannelId), {
      body: {
        name: 'PR #3',
        message: { content: 'hi', allowed_mentions: { parse: [] } },
        applied_tags: [forumTagId('Draft')],
      },
    })) as APIChannel;
    await rejection(rest.get(Routes.channel('1234567890123456789')));
    const snap = d.emu.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.threads).toEqual([
      expect.objectContaining({ id: post.id, name: 'PR #3', appliedTags: ['Draft'], archived: false, locked: false }),
    ]);
    expect(snap.threads[0]?.messages[0]).toMatchObject({ content: 'hi', allowedMentions: { parse: [] } });
    expect(snap.requests.map((r) => [r.method, r.route, r.status, r.code])).toEqual([
      ['POST', '/channels/:id/threads', 201, null],
      ['GET', '/channels/:id', 404, 10003],
    ]);
  });

  test('a deleted thread answers 10003 and stays visible as deleted in the snapshot', async () => {
    const thread = await publicThread();
    await rest.delete(Routes.channel(thread.id));
    const err = await rejection(post(thread.id, { content: 'x' }));
    expect(err.code).toBe(10003);
    expect(d.emu.state.threads()).toHaveLength(0);
    expect(d.emu.snapshot().threads[0]).toMatchObject({ id: thread.id, deleted: true });
  });
});
