/**
 * The Discord port on `@discordjs/rest` (API v10). Never sleeps on a 429 (the queue retries), sends
 * `allowed_mentions` on every create and edit, makes message creates idempotent with a nonce, and maps every
 * failure to a typed {@link DiscordError}. The token only ever goes to the REST client.
 */
import {
  type APIRequest,
  DefaultUserAgentAppendix,
  DiscordAPIError,
  HTTPError,
  makeURLSearchParams,
  type RateLimitData,
  RateLimitError,
  REST,
  RESTEvents,
  type RESTOptions,
  type ResponseLike,
} from '@discordjs/rest';
import {
  type APIAllowedMentions,
  type APIEmbed,
  type RESTPatchAPIChannelJSONBody,
  type RESTPatchAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessageJSONBody,
  type RESTPostAPIChannelMessagesThreadsJSONBody,
  type RESTPostAPIGuildForumThreadsJSONBody,
  Routes,
  ThreadAutoArchiveDuration,
} from 'discord-api-types/v10';
import {
  type ChannelInfo,
  type CreateMessageInput,
  DiscordError,
  type DiscordPort,
  type Log,
  METRIC,
  type MetricsSink,
  noMetrics,
  silentLog,
  type ThreadInfo,
  type ThreadPatch,
} from '../core/ports';
import type { Embed, OutboundMessage } from '../core/types';
import * as z from '../core/zod';

export interface DiscordPortOptions {
  readonly token: string;
  /** Base URL of a Discord-compatible API (the emulator, a proxy). @default 'https://discord.com/api' */
  readonly api?: string;
  /** Per-request timeout; keep it well under the function timeout. @default 8000 */
  readonly timeoutMs?: number;
  /**
   * In-process retries after a 5xx, a timeout or a connection reset. Safe because creates carry a nonce,
   * a repeated thread-from-message answers 160004 and edits are idempotent; forum posts are never retried.
   * @default 1
   */
  readonly retries?: number;
  readonly log?: Log;
  readonly metrics?: MetricsSink;
  /** Appended to the User-Agent, e.g. `discord-pr-threads/0.1.0`. */
  readonly userAgentSuffix?: string;
}

/** Pages of public archived threads `findThread` reads at most (100 threads each). */
const ARCHIVED_PAGES = 3;
const ARCHIVED_PAGE_SIZE = 100;
/**
 * The REST client paces itself to Discord's global 50 requests/s. Waiting out that pacing (under a second)
 * is fine; every other rate limit (a 429 from Discord, an exhausted bucket) rejects at once.
 */
const MAX_GLOBAL_PACING_WAIT_MS = 1_500;
/** The longest auto-archive: PR threads stay visible for a week of silence. */
const AUTO_ARCHIVE = ThreadAutoArchiveDuration.OneWeek;
const ChannelType = { text: 0, forum: 15 } as const;

const optionalString = z.optional(z.string());
const tagSchema = z.object({
  id: z.string(),
  name: z.string(),
  moderated: z.optional(z.boolean()),
  emoji_id: z.nullish(z.string()),
  emoji_name: z.nullish(z.string()),
});
const channelSchema = z.object({
  id: z.string(),
  type: z.number(),
  name: z.nullish(z.string()),
  guild_id: optionalString,
  parent_id: z.nullish(z.string()),
  available_tags: z.optional(z.array(tagSchema)),
  thread_metadata: z.optional(
    z.object({ archived: z.boolean(), locked: z.boolean(), archive_timestamp: optionalString }),
  ),
  message: z.optional(z.object({ id: z.string() })),
});
const messageSchema = z.object({ id: z.string() });
const recentMessagesSchema = z.array(
  z.object({
    id: z.string(),
    content: z.string(),
    embeds: z.optional(z.array(z.object({ title: z.optional(z.string()), url: z.optional(z.string()) }))),
  }),
);
const threadListSchema = z.object({ threads: z.array(channelSchema), has_more: z.optional(z.boolean()) });
type RawChannel = z.infer<typeof channelSchema>;

interface ErrorLike {
  readonly name: string;
  readonly message: string;
  readonly code?: unknown;
  readonly cause?: unknown;
}

/** Shape, not `instanceof`: fetch's errors are made by Node's own realm, which a vm context (jest) does not share. */
function isErrorLike(value: unknown): value is ErrorLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { name?: unknown }).name === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * What fetch rejected with, as the REST client expects a transport failure: fetch wraps every network failure in
 * `TypeError('fetch failed')` around the socket error (`ECONNRESET`, `UND_ERR_SOCKET`, …), which is rethrown as
 * undici's `request` would throw it, so the client still retries a connection reset (it looks for `ECONNRESET`
 * and `AbortError` on the error itself) and failures are logged by their cause. Rebuilt as an `Error` of this
 * realm with the same name, message and code, since the client only handles `instanceof Error` failures.
 */
function transportFailure(err: unknown): unknown {
  const failure = isErrorLike(err) && err.name === 'TypeError' && isErrorLike(err.cause) ? err.cause : err;
  if (!isErrorLike(failure)) return err;
  return Object.assign(new Error(failure.message, { cause: failure }), {
    name: failure.name,
    ...(failure.code !== undefined && { code: failure.code }),
  });
}

/**
 * The REST client's transport: Node's global fetch. The bundle resolves `@discordjs/rest` to its web build, which
 * leaves undici out; passing fetch here makes tests (which load the Node entry) and bundle run the same transport.
 */
export const fetchTransport: RESTOptions['makeRequest'] = async (url, init) => {
  try {
    // The client types its RequestInit and ResponseLike after undici 6, global fetch after Node's copy of undici:
    // the same objects at run time, typed by two copies of the fetch spec that disagree in details (typed-array
    // generics, Headers iterators).
    const response = await fetch(url, init as RequestInit);
    return response as unknown as ResponseLike;
  } catch (err) {
    throw transportFailure(err);
  }
};

/** `DiscordRequests` Outcome dimension for an HTTP status. */
export function outcomeOf(status: number): string {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401 || status === 403 || status === 404 || status === 429) return String(status);
  if (status >= 500) return '5xx';
  return '4xx';
}

/** Maps anything the REST client throws to what the worker should do about it. */
export function toDiscordError(err: unknown): DiscordError {
  if (err instanceof DiscordError) return err;
  if (err instanceof RateLimitError) {
    const retryAfterMs = Math.max(0, Math.ceil(err.retryAfter > 0 ? err.retryAfter : err.timeToReset));
    return new DiscordError('rateLimited', 429, undefined, `rate limited on ${err.method} ${err.route}`, retryAfterMs);
  }
  if (err instanceof DiscordAPIError) {
    const code = typeof err.code === 'number' ? err.code : undefined;
    const message = `${err.method.toUpperCase()} ${routeOf(err.url)}: ${err.message}`;
    if (err.status === 401 || err.status === 403) return new DiscordError('forbidden', err.status, code, message);
    if (err.status === 404 && code === 10003) return new DiscordError('missing', 404, code, message);
    if (err.status === 404 && code === 10008) return new DiscordError('missingMessage', 404, code, message);
    if (code === 160004) return new DiscordError('threadExists', err.status, code, message);
    if (err.status >= 500) return new DiscordError('retry', err.status, code, message);
    return new DiscordError('invalid', err.status, code, message);
  }
  if (err instanceof HTTPError) {
    return new DiscordError(
      'retry',
      err.status,
      undefined,
      `${err.method.toUpperCase()} ${routeOf(err.url)}: ${err.message}`,
    );
  }
  const reason = err instanceof Error ? `${err.name}: ${err.message}` : 'unknown failure';
  return new DiscordError('retry', 0, undefined, `network: ${reason}`);
}

/** The path of a request URL with ids generalised (never the query, never a token). */
function routeOf(url: string): string {
  try {
    return new URL(url).pathname.replace(/\d{15,20}/g, ':id');
  } catch {
    return '?';
  }
}

function toApiEmbed(embed: Embed): APIEmbed {
  return {
    ...(embed.title !== undefined && { title: embed.title }),
    ...(embed.description !== undefined && { description: embed.description }),
    ...(embed.url !== undefined && { url: embed.url }),
    ...(embed.color !== undefined && { color: embed.color }),
    ...(embed.timestamp !== undefined && { timestamp: embed.timestamp }),
    ...(embed.fields !== undefined && {
      fields: embed.fields.map((f) => ({
        name: f.name,
        value: f.value,
        ...(f.inline !== undefined && { inline: f.inline }),
      })),
    }),
    ...(embed.footer !== undefined && { footer: { text: embed.footer.text } }),
    ...(embed.author !== undefined && {
      author: {
        name: embed.author.name,
        ...(embed.author.url !== undefined && { url: embed.author.url }),
        ...(embed.author.icon_url !== undefined && { icon_url: embed.author.icon_url }),
      },
    }),
  };
}

/** Only the listed users may be pinged: no @everyone/@here, no roles, no reply ping. */
function allowedMentions(message: OutboundMessage): APIAllowedMentions {
  return { parse: [], users: [...new Set(message.mentionUserIds)].slice(0, 100), replied_user: false };
}

function threadInfo(raw: RawChannel): ThreadInfo {
  return {
    id: raw.id,
    name: raw.name ?? '',
    parentId: raw.parent_id ?? '',
    archived: raw.thread_metadata?.archived ?? false,
    locked: raw.thread_metadata?.locked ?? false,
  };
}

/** Discord snowflakes carry their creation time (ms since the Discord epoch, 2015-01-01). */
export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + 1_420_070_400_000;
}

export function createDiscordPort(options: DiscordPortOptions): DiscordPort {
  const log = options.log ?? silentLog;
  const metrics = options.metrics ?? noMetrics;
  const base = {
    api: options.api ?? 'https://discord.com/api',
    version: '10',
    timeout: Math.min(options.timeoutMs ?? 8_000, 10_000),
    rejectOnRateLimit: (limit: RateLimitData) => !(limit.global && limit.timeToReset <= MAX_GLOBAL_PACING_WAIT_MS),
    userAgentAppendix: [DefaultUserAgentAppendix, options.userAgentSuffix].filter(Boolean).join(' '),
    makeRequest: fetchTransport,
  };
  const onResponse = (request: APIRequest, response: ResponseLike): void => {
    metrics.count(METRIC.discordRequests, 1, { Outcome: outcomeOf(response.status) });
    log.debug('discord response', {
      method: request.method.toUpperCase(),
      route: request.route,
      status: response.status,
    });
  };
  const client = (retries: number): REST => {
    const rest = new REST({ ...base, retries }).setToken(options.token);
    rest.on(RESTEvents.Response, onResponse);
    return rest;
  };
  const rest = client(options.retries ?? 1);
  /** Forum posts carry no nonce: an in-process retry after a 5xx-after-apply would post twice. */
  const restOnce = client(0);

  async function call<T>(operation: string, schema: z.ZodMiniType<T>, request: () => Promise<unknown>): Promise<T> {
    let raw: unknown;
    try {
      raw = await request();
    } catch (err) {
      const error = toDiscordError(err);
      if (error.status === 0) metrics.count(METRIC.discordRequests, 1, { Outcome: 'network' });
      log.warn('discord request failed', {
        operation,
        kind: error.kind,
        status: error.status,
        code: error.code,
        error: error.message,
        ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
      });
      throw error;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      log.error('unexpected discord response', { operation, issues: parsed.error.issues.length });
      throw new DiscordError('retry', 200, undefined, `${operation}: unexpected response shape`);
    }
    return parsed.data;
  }
  const nothing = z.unknown();

  const getChannel = async (channelId: string): Promise<ChannelInfo> => {
    const raw = await call('getChannel', channelSchema, () => rest.get(Routes.channel(channelId)));
    return {
      id: raw.id,
      kind: raw.type === ChannelType.text ? 'text' : raw.type === ChannelType.forum ? 'forum' : 'other',
      ...(raw.guild_id !== undefined && { guildId: raw.guild_id }),
      tags: (raw.available_tags ?? []).map((t) => ({ id: t.id, name: t.name })),
    };
  };

  return {
    getChannel,

    async setForumTags(channelId, tags) {
      const current = await call('setForumTags', channelSchema, () => rest.get(Routes.channel(channelId)));
      if (current.type !== ChannelType.forum) {
        throw new DiscordError('invalid', 400, undefined, 'setForumTags: not a forum channel');
      }
      const existing = new Map((current.available_tags ?? []).map((t) => [t.id, t]));
      const body: RESTPatchAPIChannelJSONBody = {
        available_tags: tags.map((tag) => {
          const known = tag.id === undefined ? undefined : existing.get(tag.id);
          return known
            ? {
                id: known.id,
                name: tag.name,
                ...(known.moderated !== undefined && { moderated: known.moderated }),
                ...(known.emoji_id !== undefined && { emoji_id: known.emoji_id }),
                ...(known.emoji_name !== undefined && { emoji_name: known.emoji_name }),
              }
            : { name: tag.name };
        }),
      };
      const updated = await call('setForumTags', channelSchema, () => rest.patch(Routes.channel(channelId), { body }));
      return (updated.available_tags ?? []).map((t) => ({ id: t.id, name: t.name }));
    },

    async createMessage(channelId, message: CreateMessageInput) {
      const body: RESTPostAPIChannelMessageJSONBody = {
        content: message.content,
        ...(message.embeds !== undefined && { embeds: message.embeds.map(toApiEmbed) }),
        allowed_mentions: allowedMentions(message),
        nonce: message.nonce,
        enforce_nonce: true,
        ...(message.replyToMessageId !== undefined && {
          message_reference: { message_id: message.replyToMessageId, channel_id: channelId, fail_if_not_exists: false },
        }),
      };
      const created = await call('createMessage', messageSchema, () =>
        rest.post(Routes.channelMessages(channelId), { body }),
      );
      return { id: created.id };
    },

    async editMessage(channelId, messageId, message) {
      const body: RESTPatchAPIChannelMessageJSONBody = {
        content: message.content,
        embeds: (message.embeds ?? []).map(toApiEmbed),
        allowed_mentions: allowedMentions(message),
      };
      await call('editMessage', nothing, () => rest.patch(Routes.channelMessage(channelId, messageId), { body }));
    },

    async deleteMessage(channelId, messageId) {
      await call('deleteMessage', nothing, () => rest.delete(Routes.channelMessage(channelId, messageId)));
    },

    async startThreadFromMessage(channelId, messageId, name) {
      const body: RESTPostAPIChannelMessagesThreadsJSONBody = { name, auto_archive_duration: AUTO_ARCHIVE };
      const raw = await call('startThreadFromMessage', channelSchema, () =>
        rest.post(Routes.threads(channelId, messageId), { body }),
      );
      return threadInfo(raw);
    },

    async createForumPost(channelId, input) {
      const body: RESTPostAPIGuildForumThreadsJSONBody = {
        name: input.name,
        auto_archive_duration: AUTO_ARCHIVE,
        message: {
          content: input.message.content,
          ...(input.message.embeds !== undefined && { embeds: input.message.embeds.map(toApiEmbed) }),
          allowed_mentions: allowedMentions(input.message),
        },
        applied_tags: [...input.appliedTagIds],
      };
      const raw = await call('createForumPost', channelSchema, () =>
        restOnce.post(Routes.threads(channelId), { body }),
      );
      return { ...threadInfo(raw), starterMessageId: raw.message?.id ?? raw.id };
    },

    async recentMessages(channelId, limit) {
      const list = await call('recentMessages', recentMessagesSchema, () =>
        rest.get(Routes.channelMessages(channelId), { query: new URLSearchParams({ limit: String(limit) }) }),
      );
      return list.map((m) => ({
        id: m.id,
        content: m.content,
        embeds: (m.embeds ?? []).map((e) => ({ title: e.title, url: e.url })),
        createdAt: snowflakeTime(m.id),
      }));
    },

    async findThread(guildId, channelId, name) {
      const active = await call('findThread', threadListSchema, () => rest.get(Routes.guildActiveThreads(guildId)));
      const live = active.threads.find((t) => t.parent_id === channelId && t.name === name);
      if (live) return threadInfo(live);
      let before: string | undefined;
      for (let page = 0; page < ARCHIVED_PAGES; page += 1) {
        const query = makeURLSearchParams({ limit: ARCHIVED_PAGE_SIZE, ...(before !== undefined && { before }) });
        const archived = await call('findThread', threadListSchema, () =>
          rest.get(Routes.channelThreads(channelId, 'public'), { query }),
        );
        const found = archived.threads.find((t) => t.name === name);
        if (found) return threadInfo(found);
        const last = archived.threads.at(-1)?.thread_metadata?.archive_timestamp;
        if (!archived.has_more || last === undefined) return undefined;
        before = last;
      }
      return undefined;
    },

    async editThread(threadId, patch: ThreadPatch) {
      const body: RESTPatchAPIChannelJSONBody = {
        ...(patch.name !== undefined && { name: patch.name }),
        ...(patch.archived !== undefined && { archived: patch.archived }),
        ...(patch.locked !== undefined && { locked: patch.locked }),
        ...(patch.appliedTagIds !== undefined && { applied_tags: [...patch.appliedTagIds] }),
      };
      await call('editThread', nothing, () => rest.patch(Routes.channel(threadId), { body }));
    },
  };
}
