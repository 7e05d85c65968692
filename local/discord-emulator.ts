/**
 * A Discord REST API v10 emulator: the endpoints the bridge uses, with Discord's documented behaviour
 * (limits, error codes, thread rules, nonce idempotency, allowed_mentions, rename limit), injectable faults
 * and read-only state for tests and the local web page.
 *
 * Point `@discordjs/rest` at it with `new REST({ api: emu.url })`: requests go to `<url>/v10/...`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Chaos, type ChaosOptions, type Fault, type FaultKind, FaultQueue } from './discord-emulator/faults';
import { ApiFailure, failures, iso, type Json, type RateLimitInfo, toJson } from './discord-emulator/model';
import {
  type ChannelView,
  channelView,
  type GuildView,
  type MessageView,
  messageView,
  type ThreadView,
  threadView,
} from './discord-emulator/render';
import { type Answer, buildRoutes } from './discord-emulator/routes';
import { DiscordStore } from './discord-emulator/store';

export type { ChaosOptions, Fault, FaultKind } from './discord-emulator/faults';
export { FaultQueue } from './discord-emulator/faults';
export { snowflakeTime } from './discord-emulator/model';
export type {
  AllowedMentionsView,
  ChannelView,
  GuildView,
  MentionEntryView,
  MessageView,
  TagView,
  ThreadView,
} from './discord-emulator/render';
export { LIMITS } from './discord-emulator/validate';

export interface DiscordEmulatorOptions {
  /** Bot token the emulator accepts (`Authorization: Bot <token>`). */
  readonly token: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Prefix before `/v10`. @default '/api' */
  readonly basePath?: string;
  /** Epoch ms; drives snowflakes, timestamps, the nonce window, the rename budget and the invalid-request window. @default Date.now */
  readonly clock?: () => number;
  /** How long `enforce_nonce` deduplicates ("a few minutes"; Discord does not publish the figure). @default 180000 */
  readonly nonceWindowMs?: number;
  /** Renames per channel/thread per window; `false` disables. @default { max: 2, windowMs: 600000 } */
  readonly renameLimit?: { readonly max: number; readonly windowMs: number } | false;
  /** The bot has MANAGE_THREADS (may post in locked threads, lock and unlock). @default true */
  readonly manageThreads?: boolean;
  readonly bot?: { readonly id?: string; readonly username?: string };
  /** Request log entries kept (oldest dropped first). @default 1000 */
  readonly requestLogLimit?: number;
  /** Random faults for chaos runs. @default none */
  readonly chaos?: ChaosOptions;
}

export interface RequestLogEntry {
  readonly at: string;
  readonly method: string;
  /** Path after `/api/v10`, e.g. `/channels/1234/messages`. */
  readonly path: string;
  /** Path with ids replaced by `:id`. */
  readonly route: string;
  /** HTTP status; 0 when the connection was dropped. */
  readonly status: number;
  /** Discord JSON error code, when the answer had one. */
  readonly code: number | null;
  readonly fault: FaultKind | null;
  readonly userAgent: string | null;
}

export interface EmulatorSnapshot {
  readonly botUserId: string;
  readonly guilds: readonly GuildView[];
  readonly channels: readonly ChannelView[];
  /** Every thread, deleted ones flagged. */
  readonly threads: readonly ThreadView[];
  readonly requests: readonly RequestLogEntry[];
  /** 401/403/429 answers in the last 10 minutes (Discord bans an IP at 10,000). */
  readonly invalidRequests: number;
}

/** Read-only views of the emulator's Discord, rebuilt on every call. */
export interface EmulatorState {
  guilds(): GuildView[];
  channels(): ChannelView[];
  channel(id: string): ChannelView | undefined;
  /** Live threads (optionally of one parent channel); `includeDeleted` adds deleted ones. */
  threads(filter?: { readonly parentId?: string; readonly includeDeleted?: boolean }): ThreadView[];
  thread(id: string): ThreadView | undefined;
  message(id: string): MessageView | undefined;
  /** Messages of a channel or thread in order (deleted ones flagged). */
  messages(channelId: string): MessageView[];
  requests(): readonly RequestLogEntry[];
}

export interface DiscordEmulator {
  /** Base URL for `@discordjs/rest`'s `api` option, e.g. `http://127.0.0.1:41234/api`. */
  readonly url: string;
  readonly token: string;
  readonly botUserId: string;
  readonly state: EmulatorState;
  /** Scripted faults: `emu.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: '500-after-apply' })`. */
  readonly faults: FaultQueue;
  addGuild(options?: { readonly name?: string }): GuildView;
  addChannel(options: {
    readonly guildId: string;
    readonly type: 'text' | 'forum';
    readonly name: string;
    /** Forum channels: initial tag names. */
    readonly tags?: readonly string[];
  }): ChannelView;
  /** A user that messages can mention (any id is accepted; this gives it a name). Returns the id. */
  addUser(options: { readonly id?: string; readonly username: string }): string;
  /** Acts as a human moderator in the Discord UI (archive, lock, rename a thread) without going through the API. */
  moderate(
    threadId: string,
    change: { readonly archived?: boolean; readonly locked?: boolean; readonly name?: string },
  ): void;
  /** Requests on this channel (and its threads) answer 403 Missing Access (50001). */
  setForbidden(channelId: string, forbidden?: boolean): void;
  /** Turns the seeded random-fault mode on (options) or off (null). */
  setChaos(options: ChaosOptions | null): void;
  snapshot(): EmulatorSnapshot;
  /** 401/403/429 answers in the last 10 minutes of the emulator's clock. */
  invalidRequestCount(): number;
  close(): Promise<void>;
}

const INVALID_WINDOW_MS = 10 * 60 * 1000;
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export async function startDiscordEmulator(options: DiscordEmulatorOptions): Promise<DiscordEmulator> {
  const clock = options.clock ?? Date.now;
  const basePath = (options.basePath ?? '/api').replace(/\/$/, '');
  const prefix = `${basePath}/v10`;
  const logLimit = options.requestLogLimit ?? 1000;
  const store = new DiscordStore({
    clock,
    nonceWindowMs: options.nonceWindowMs ?? 180_000,
    renameLimit: options.renameLimit ?? { max: 2, windowMs: 600_000 },
    manageThreads: options.manageThreads ?? true,
    bot: {
      ...(options.bot?.id !== undefined && { id: options.bot.id }),
      username: options.bot?.username ?? 'pr-threads-bot',
    },
  });
  const botUserId = store.botId;

  const faults = new FaultQueue();
  let chaos = options.chaos ? new Chaos(options.chaos) : null;
  const log: RequestLogEntry[] = [];
  const invalidAt: number[] = [];
  const expected = Buffer.from(`Bot ${options.token}`);
  const sleepers = new Map<NodeJS.Timeout, () => void>();

  const routes = buildRoutes(store, botUserId);

  function authorized(header: string | undefined): boolean {
    if (header === undefined) return false;
    const given = Buffer.from(header);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function record(req: IncomingMessage, path: string, status: number, code: number | null, fault: FaultKind | null) {
    const now = clock();
    log.push({
      at: iso(now),
      method: req.method ?? 'GET',
      path,
      route: path.replace(/\d{15,20}/g, ':id'),
      status,
      code,
      fault,
      userAgent: req.headers['user-agent'] ?? null,
    });
    if (log.length > logLimit) log.splice(0, log.length - logLimit);
    if (status === 401 || status === 403 || status === 429) invalidAt.push(now);
  }

  function invalidRequestCount(): number {
    const now = clock();
    while (invalidAt.length > 0 && now - (invalidAt[0] ?? now) >= INVALID_WINDOW_MS) invalidAt.shift();
    return invalidAt.length;
  }

  function sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        sleepers.delete(timer);
        resolve(true);
      }, ms);
      sleepers.set(timer, () => resolve(false));
    });
  }

  function send(res: ServerResponse, status: number, json?: Json, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    if (json === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const body = JSON.stringify(json);
    res.writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  function rateLimitHeaders(info: RateLimitInfo, bucket: string): Record<string, string> {
    const seconds = info.retryAfterMs / 1000;
    const resetAfter = info.bucketExhausted ? seconds : 1;
    return {
      'retry-after': String(Math.max(1, Math.ceil(seconds))),
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': info.bucketExhausted ? '0' : '4',
      'x-ratelimit-reset': ((clock() + resetAfter * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': bucketHash(bucket),
      'x-ratelimit-scope': info.scope,
    };
  }

  function sendFailure(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    route: string,
    err: ApiFailure,
    fault: FaultKind | null,
  ) {
    record(req, path, err.status, err.rateLimit ? null : err.code, fault);
    if (err.rateLimit) {
      const body = { message: err.message, retry_after: err.rateLimit.retryAfterMs / 1000, global: false };
      send(res, 429, body, rateLimitHeaders(err.rateLimit, `${req.method} ${route}`));
      return;
    }
    send(res, err.status, { message: err.message, code: err.code, ...(err.errors && { errors: toJson(err.errors) }) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const raw = await readBody(req);
    const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : url.pathname;
    const route = path.replace(/\d{15,20}/g, ':id');

    if (!url.pathname.startsWith(`${prefix}/`)) {
      record(req, path, 404, 0, null);
      send(res, 404, { message: '404: Not Found', code: 0 });
      return;
    }
    if (!authorized(req.headers.authorization)) {
      record(req, path, 401, 0, null);
      send(res, 401, { message: '401: Unauthorized', code: 0 });
      return;
    }
    if (raw === 'too-large') {
      record(req, path, 413, 40005, null);
      send(res, 413, { message: 'Request entity too large', code: 40005 });
      return;
    }

    const fault: Fault | undefined = faults.take(method, path) ?? chaos?.pick(method) ?? undefined;
    const kind = fault?.kind ?? null;
    if (fault?.kind === 'drop') {
      record(req, path, 0, null, 'drop');
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay' && !(await sleep(fault.delayMs ?? 1000))) {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === '429') {
      sendFailure(
        req,
        res,
        path,
        route,
        failures.rateLimited({ retryAfterMs: fault.retryAfterMs ?? 1000, bucketExhausted: true, scope: 'user' }),
        '429',
      );
      return;
    }
    if (fault?.kind === '500') {
      record(req, path, 500, 0, '500');
      send(res, 500, { message: '500: Internal Server Error', code: 0 });
      return;
    }

    const matching = routes.filter((r) => r.pattern.test(path));
    const target = matching.find((r) => r.method === method);
    if (!target) {
      const status = matching.length > 0 ? 405 : 404;
      record(req, path, status, 0, kind);
      send(res, status, { message: status === 405 ? '405: Method Not Allowed' : '404: Not Found', code: 0 });
      return;
    }
    let answer: Answer;
    try {
      let body: unknown;
      if (raw !== '' && method !== 'GET') {
        try {
          body = JSON.parse(raw);
        } catch {
          throw failures.invalidJson();
        }
      }
      answer = target.handle(target.pattern.exec(path)?.slice(1) ?? [], body, url.searchParams);
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      sendFailure(req, res, path, route, err, kind);
      return;
    }
    if (fault?.kind === '500-after-apply') {
      record(req, path, 500, 0, kind);
      send(res, 500, { message: '500: Internal Server Error', code: 0 });
      return;
    }
    record(req, path, answer.status, null, kind);
    send(res, answer.status, answer.json);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      send(res, 500, {
        message: `500: Internal Server Error (${err instanceof Error ? err.message : 'unknown'})`,
        code: 0,
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const liveThreads = (filter?: { readonly parentId?: string; readonly includeDeleted?: boolean }) =>
    [...store.channels.values()]
      .filter((c) => c.thread && (filter?.includeDeleted || c.deletedAt === null))
      .filter((c) => filter?.parentId === undefined || c.parentId === filter.parentId)
      .flatMap((c) => {
        const view = threadView(store, c);
        return view ? [view] : [];
      });
  const topChannels = () => [...store.channels.values()].filter((c) => c.thread === null);

  const state: EmulatorState = {
    guilds: () => [...store.guilds.values()].map((g) => ({ id: g.id, name: g.name })),
    channels: () => topChannels().map((c) => channelView(store, c)),
    channel: (id) => {
      const channel = store.channels.get(id);
      return channel && channel.thread === null ? channelView(store, channel) : undefined;
    },
    threads: liveThreads,
    thread: (id) => {
      const channel = store.channels.get(id);
      return channel ? threadView(store, channel) : undefined;
    },
    message: (id) => {
      const message = store.messages.get(id);
      return message ? messageView(message) : undefined;
    },
    messages: (channelId) => {
      const channel = store.channels.get(channelId);
      return channel
        ? channel.messageIds.flatMap((id) => {
            const message = store.messages.get(id);
            return message ? [messageView(message)] : [];
          })
        : [];
    },
    requests: () => [...log],
  };

  return {
    url: `http://${host}:${address.port}${basePath}`,
    token: options.token,
    botUserId,
    state,
    faults,
    addGuild: (opts) => {
      const guild = store.addGuild(opts?.name ?? 'Emulated guild');
      return { id: guild.id, name: guild.name };
    },
    addChannel: (opts) => channelView(store, store.addChannel(opts.guildId, opts.type, opts.name, opts.tags ?? [])),
    addUser: (opts) => {
      const id = opts.id ?? store.ids.next();
      store.users.set(id, opts.username);
      return id;
    },
    moderate: (threadId, change) => store.moderate(threadId, change),
    setForbidden: (channelId, forbidden = true) => {
      const channel = store.channels.get(channelId);
      if (!channel) throw new Error(`unknown channel ${channelId}`);
      channel.forbidden = forbidden;
    },
    setChaos: (chaosOptions) => {
      chaos = chaosOptions ? new Chaos(chaosOptions) : null;
    },
    snapshot: () => ({
      botUserId,
      guilds: state.guilds(),
      channels: state.channels(),
      threads: liveThreads({ includeDeleted: true }),
      requests: [...log],
      invalidRequests: invalidRequestCount(),
    }),
    invalidRequestCount,
    close: async () => {
      for (const [timer, wake] of sleepers) {
        clearTimeout(timer);
        wake();
      }
      sleepers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<string | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** FNV-1a: a stable per-route `X-RateLimit-Bucket` value. */
function bucketHash(key: string): string {
  let hash = 0x811c9dc5;
  for (const char of key) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
