/**
 * The emulator's route table: Discord v10 paths (after `/api/v10`) → store operations → Discord JSON.
 */
import type { Json } from './model';
import { channelJson, messageJson, threadMemberJson } from './render';
import type { ChannelRecord, DiscordStore } from './store';

export interface Answer {
  readonly status: number;
  readonly json?: Json;
}

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: (params: readonly string[], body: unknown, query: URLSearchParams) => Answer;
}

export function buildRoutes(store: DiscordStore, botUserId: string): Route[] {
  const id = '(\\d{15,20})';
  const r = (method: string, pattern: string, handle: Route['handle']): Route => ({
    method,
    pattern: new RegExp(`^${pattern}$`),
    handle,
  });
  const p = (params: readonly string[], index: number): string => params[index] ?? '';
  const channel = (c: ChannelRecord) => channelJson(store, c);
  return [
    r('GET', '/users/@me', () => ({
      status: 200,
      json: {
        id: botUserId,
        username: store.users.get(botUserId) ?? 'bot',
        discriminator: '0',
        bot: true,
        avatar: null,
      },
    })),
    r('GET', `/guilds/${id}`, (params) => {
      const guild = store.guild(p(params, 0));
      return { status: 200, json: { id: guild.id, name: guild.name } };
    }),
    r('GET', `/guilds/${id}/channels`, (params) => {
      const guild = store.guild(p(params, 0));
      const channels = [...store.channels.values()].filter(
        (c) => c.guildId === guild.id && c.thread === null && c.deletedAt === null,
      );
      return { status: 200, json: channels.map(channel) };
    }),
    r('GET', `/guilds/${id}/threads/active`, (params) => {
      const threads = store.activeThreads(p(params, 0));
      return {
        status: 200,
        json: { threads: threads.map(channel), members: threads.map((t) => threadMemberJson(store, t)) },
      };
    }),
    r('GET', `/channels/${id}`, (params) => ({ status: 200, json: channel(store.channel(p(params, 0))) })),
    r('PATCH', `/channels/${id}`, (params, body) => ({
      status: 200,
      json: channel(store.patchChannel(p(params, 0), body)),
    })),
    r('DELETE', `/channels/${id}`, (params) => ({ status: 200, json: channel(store.deleteChannel(p(params, 0))) })),
    r('GET', `/channels/${id}/messages`, (params, _body, query) => {
      const c = store.channel(p(params, 0));
      const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50) || 50));
      const before = query.get('before');
      const after = query.get('after');
      const messages = c.messageIds
        .flatMap((mid) => {
          const m = store.messages.get(mid);
          return m && m.deletedAt === null ? [m] : [];
        })
        .filter((m) => before === null || BigInt(m.id) < BigInt(before))
        .filter((m) => after === null || BigInt(m.id) > BigInt(after))
        .reverse()
        .slice(0, limit);
      return { status: 200, json: messages.map((m) => messageJson(store, m)) };
    }),
    r('POST', `/channels/${id}/messages`, (params, body) => ({
      status: 200,
      json: messageJson(store, store.createMessage(p(params, 0), body)),
    })),
    r('GET', `/channels/${id}/messages/${id}`, (params) => {
      const c = store.channel(p(params, 0));
      return { status: 200, json: messageJson(store, store.message(c, p(params, 1))) };
    }),
    r('PATCH', `/channels/${id}/messages/${id}`, (params, body) => ({
      status: 200,
      json: messageJson(store, store.editMessage(p(params, 0), p(params, 1), body)),
    })),
    r('DELETE', `/channels/${id}/messages/${id}`, (params) => {
      store.deleteMessage(p(params, 0), p(params, 1));
      return { status: 204 };
    }),
    r('POST', `/channels/${id}/messages/${id}/threads`, (params, body) => ({
      status: 201,
      json: channel(store.startThreadFromMessage(p(params, 0), p(params, 1), body)),
    })),
    r('POST', `/channels/${id}/threads`, (params, body) => {
      const { thread, starter } = store.startThread(p(params, 0), body);
      return {
        status: 201,
        json: { ...channel(thread), ...(starter && { message: messageJson(store, starter) }) },
      };
    }),
    r('GET', `/channels/${id}/threads/archived/public`, (params, _body, query) => {
      const { threads, hasMore } = store.archivedPublicThreads(p(params, 0), query.get('before'), query.get('limit'));
      return {
        status: 200,
        json: {
          threads: threads.map(channel),
          members: threads.map((t) => threadMemberJson(store, t)),
          has_more: hasMore,
        },
      };
    }),
  ];
}
