/**
 * Small ports between the core and the outside. Adapters in `lambdas/adapters/` implement them
 * (Discord REST, DynamoDB, SNS, Secrets Manager); the local mode reuses the same adapters.
 */
import type { Envelope, OutboundMessage, ThreadState } from './types';

// ---------------------------------------------------------------- Discord

export type ChannelKind = 'text' | 'forum' | 'other';

export interface ChannelInfo {
  readonly id: string;
  readonly kind: ChannelKind;
  readonly guildId?: string;
  /** Forum channels: available tags. */
  readonly tags: readonly { readonly id: string; readonly name: string }[];
}

export interface ThreadInfo {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
  readonly archived: boolean;
  readonly locked: boolean;
}

export interface ThreadPatch {
  readonly name?: string;
  readonly archived?: boolean;
  readonly locked?: boolean;
  readonly appliedTagIds?: readonly string[];
}

/** What to do about a failed Discord call. */
export type DiscordErrorKind =
  /** 5xx, timeouts, network: let the queue retry. */
  | 'retry'
  /** 429: retry later (never sleep in Lambda); `retryAfterMs` says when. */
  | 'rateLimited'
  /** 404 Unknown Channel/Thread (10003): the thread was deleted, recreate it. */
  | 'missing'
  /** 404 Unknown Message (10008). */
  | 'missingMessage'
  /** 160004: a thread already exists for this message. */
  | 'threadExists'
  /** 401/403: token or permissions; fail without hammering (counts toward Discord's ban threshold). */
  | 'forbidden'
  /** 400 and other 4xx: our request is wrong; retrying will not help. */
  | 'invalid';

export class DiscordError extends Error {
  override readonly name = 'DiscordError';
  constructor(
    readonly kind: DiscordErrorKind,
    /** HTTP status (0 for network errors). */
    readonly status: number,
    /** Discord JSON error code, when there is one (e.g. 10003, 50083, 160004). */
    readonly code: number | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface CreateMessageInput extends OutboundMessage {
  /** ≤ 25 chars; sent with `enforce_nonce: true`. */
  readonly nonce: string;
  /** Message id to reply to (in the same channel). */
  readonly replyToMessageId?: string;
}

/** The Discord operations the bridge uses. Every create and edit sends `allowed_mentions`. */
export interface DiscordPort {
  getChannel(channelId: string): Promise<ChannelInfo>;
  /** Forum channels: replace the available tags (existing ones keep their ids). Returns the full list. */
  setForumTags(
    channelId: string,
    tags: readonly { readonly id?: string; readonly name: string }[],
  ): Promise<readonly { readonly id: string; readonly name: string }[]>;
  createMessage(channelId: string, message: CreateMessageInput): Promise<{ readonly id: string }>;
  editMessage(channelId: string, messageId: string, message: OutboundMessage): Promise<void>;
  deleteMessage(channelId: string, messageId: string): Promise<void>;
  /** Public thread from a message (thread id = message id). Throws `threadExists` on repeat. */
  startThreadFromMessage(channelId: string, messageId: string, name: string): Promise<ThreadInfo>;
  /** Forum post: a thread with a starter message and tags. */
  createForumPost(
    channelId: string,
    input: { readonly name: string; readonly message: OutboundMessage; readonly appliedTagIds: readonly string[] },
  ): Promise<ThreadInfo & { readonly starterMessageId: string }>;
  /** Look a thread up by exact name among the guild's active threads and the channel's public archived threads. */
  findThread(guildId: string, channelId: string, name: string): Promise<ThreadInfo | undefined>;
  editThread(threadId: string, patch: ThreadPatch): Promise<void>;
  /** The channel's latest messages, newest first (used only when retrying, to find a create that was applied). */
  recentMessages(channelId: string, limit: number): Promise<readonly RecentMessage[]>;
}

export interface RecentMessage {
  readonly id: string;
  readonly content: string;
  /** Title and link of each embed (enough to tell two summaries apart). */
  readonly embeds: readonly { readonly title?: string; readonly url?: string }[];
  /** Epoch ms, from the snowflake. */
  readonly createdAt: number;
}

// ---------------------------------------------------------------- stores

export type ClaimResult =
  /** This attempt owns the delivery until `leaseMs` passes. */
  | 'claimed'
  /** Owned, and an earlier attempt failed or died: some of its Discord effects may already be applied. */
  | 'reclaimed'
  /** Already processed: skip, success. */
  | 'done'
  /** Another attempt holds a live claim: fail this record so the queue retries it later. */
  | 'busy';

export interface DeliveryStore {
  claim(deliveryId: string, now: number, leaseMs: number): Promise<ClaimResult>;
  /** Epoch ms of the first attempt at a delivery this store holds a claim on (earlier than now when reclaimed). */
  firstAttemptAt(deliveryId: string): number | undefined;
  /** Mark done only after the Discord effects succeeded. */
  complete(deliveryId: string, now: number): Promise<void>;
  /** Release a claim after a failed attempt so a retry or manual redelivery runs it again (as `reclaimed`). */
  release(deliveryId: string): Promise<void>;
}

export class StaleStateError extends Error {
  override readonly name = 'StaleStateError';
}

export interface ThreadStore {
  get(key: string): Promise<ThreadState | undefined>;
  /** Conditional write: succeeds only when the stored version equals `state.version`; returns the new version. Throws {@link StaleStateError} otherwise. */
  put(state: ThreadState): Promise<ThreadState>;
}

// ---------------------------------------------------------------- queue

export interface Publisher {
  publish(envelope: Envelope): Promise<void>;
}

// ---------------------------------------------------------------- observability

/** Structured logger (Powertools Logger in Lambda, a JSON line logger locally). Never pass secrets, signatures or raw bodies. */
export interface Log {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** Metric names (namespace `DiscordPrThreads`); the dashboard and alarms reference these. */
export const METRIC = {
  /** dimension EventType */
  deliveriesReceived: 'DeliveriesReceived',
  deliveriesIgnored: 'DeliveriesIgnored',
  signatureRejected: 'SignatureRejected',
  publishFailed: 'PublishFailed',
  deliveriesProcessed: 'DeliveriesProcessed',
  deliveriesDuplicate: 'DeliveriesDuplicate',
  /** a worker attempt failed (the queue retries it; after 5 receives it lands in the DLQ) */
  deliveriesFailed: 'DeliveriesFailed',
  /** dimension Outcome: ok | 429 | 4xx | 401 | 403 | 404 | 5xx | network */
  discordRequests: 'DiscordRequests',
  renamesDeferred: 'RenamesDeferred',
  /** milliseconds, GitHub delivery accepted → Discord effects done */
  endToEndLag: 'EndToEndLag',
} as const;

export interface MetricsSink {
  count(name: string, value?: number, dimensions?: Readonly<Record<string, string>>): void;
  milliseconds(name: string, value: number): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
export const noMetrics: MetricsSink = { count() {}, milliseconds() {} };
