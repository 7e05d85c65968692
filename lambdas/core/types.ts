/**
 * The shared vocabulary of the bridge. Pure types: no AWS, no Discord client imports.
 *
 * Flow: ingest turns a signed GitHub request into an {@link Envelope} (published to the queue);
 * the worker turns an envelope into a {@link Plan} (pure) and executes its {@link Action}s
 * against the {@link ThreadState} of the PR.
 */

/** What travels on the queue (SNS FIFO → SQS FIFO, or the local in-process queue). */
export interface Envelope {
  readonly v: 1;
  /** X-GitHub-Delivery: the idempotency key end to end. */
  readonly deliveryId: string;
  /** X-GitHub-Event, e.g. `pull_request`. */
  readonly event: string;
  /** `action` field of the payload, when it has one. */
  readonly action?: string;
  readonly repositoryId: number;
  /** `owner/name`. */
  readonly repository: string;
  /** PR number when the event is about a pull request. */
  readonly prNumber?: number;
  /** FIFO group: `<repository.id>#<pr number>`, or `<repository.id>` for events without a PR. */
  readonly groupId: string;
  /** Epoch ms when ingest accepted the delivery (for end-to-end lag). */
  readonly receivedAt: number;
  /** The raw JSON payload as GitHub sent it (UTF-8 text), unless it travels by claim check. */
  readonly body?: string;
  /** Claim check for payloads too large for the queue. */
  readonly bodyRef?: { readonly bucket: string; readonly key: string };
}

/** A delivery as the worker sees it once the body is resolved and parsed. */
export interface Delivery {
  readonly id: string;
  readonly event: string;
  readonly action?: string;
  readonly receivedAt: number;
  /** Parsed JSON payload (validated into typed views by core/events). */
  readonly payload: unknown;
}

/** Forum tags the bridge manages. */
export const TAG_NAMES = ['Open', 'Draft', 'Approved', 'Changes requested', 'Merged', 'Closed'] as const;
export type TagName = (typeof TAG_NAMES)[number];

export interface EmbedField {
  readonly name: string;
  readonly value: string;
  readonly inline?: boolean;
}

export interface Embed {
  readonly title?: string;
  readonly description?: string;
  readonly url?: string;
  readonly color?: number;
  readonly fields?: readonly EmbedField[];
  readonly footer?: { readonly text: string };
  readonly author?: { readonly name: string; readonly url?: string; readonly icon_url?: string };
  readonly timestamp?: string;
}

/**
 * A message to post or edit. Content and embeds are already rendered inert and within Discord's limits.
 * `mentionUserIds` are the only users Discord may ping (sent as `allowed_mentions.users`, with `parse: []`).
 */
export interface OutboundMessage {
  readonly content: string;
  readonly embeds?: readonly Embed[];
  readonly mentionUserIds: readonly string[];
}

/** What the planner asks the executor to do, in order. All actions target the PR's thread. */
export type Action =
  /** Create the thread when the state has none (or it was deleted). `starter` is the opening summary. */
  | {
      readonly kind: 'ensureThread';
      readonly name: string;
      readonly starter: OutboundMessage;
      readonly tags: readonly TagName[];
    }
  /**
   * Post a message in the thread. `key` is the semantic idempotency key (e.g. `comment:123`, or
   * `<deliveryId>:<index>`): the nonce derives from it and a key already in `state.messages` is never posted twice.
   */
  | {
      readonly kind: 'post';
      readonly key: string;
      readonly message: OutboundMessage;
      /** Reply to the message previously posted under this key (Discord reply), when it exists. */
      readonly replyToKey?: string;
    }
  /** Edit a message previously posted under `key` (e.g. the summary, or a mirrored comment). */
  | { readonly kind: 'edit'; readonly key: string; readonly message: OutboundMessage }
  /** Delete a message previously posted under `key`. */
  | { readonly kind: 'delete'; readonly key: string }
  /** Rename the thread (the executor applies Discord's rename budget and defers when it is spent). */
  | { readonly kind: 'rename'; readonly name: string }
  /** Forum channels: set the applied tags (text channels ignore it). */
  | { readonly kind: 'setTags'; readonly tags: readonly TagName[] }
  /** Archive and lock in one PATCH. */
  | { readonly kind: 'close' }
  /** Unlock and unarchive. */
  | { readonly kind: 'reopen' };

export type ActionKind = Action['kind'];

/** The planner's answer. `ignored` set ⇒ deliberately no effect (policy, unknown event, plain issue...). */
export interface Plan {
  readonly ignored?: string;
  readonly actions: readonly Action[];
  /** Logical PR state after this event (merged into the stored thread state by the executor). */
  readonly pr?: PrSnapshot;
}

export type PrStatus = 'open' | 'draft' | 'merged' | 'closed';
export type ReviewState = 'approved' | 'changes_requested' | 'none';

/** The logical PR facts the bridge remembers between events. */
export interface PrSnapshot {
  readonly title: string;
  readonly status: PrStatus;
  readonly review: ReviewState;
  readonly url?: string;
}

/** Stored per repository + PR (DynamoDB `threads` table). */
export interface ThreadState {
  /** `<repository.id>#<pr number>` */
  readonly key: string;
  /** Optimistic-lock version; 0 = not stored yet. */
  readonly version: number;
  readonly channelId: string;
  readonly threadId?: string;
  /** Text channels: starter message posted but thread not yet confirmed (crash-safety intent). */
  readonly pendingStarterId?: string;
  /** Forum channels: the thread name a creation was attempted with (look it up before creating again). */
  readonly pendingForumName?: string;
  /** Incremented each time the thread is recreated (deleted on Discord); part of creation nonces. */
  readonly threadGeneration?: number;
  /** Name currently on Discord. */
  readonly name?: string;
  /** Name wanted but deferred by the rename budget / a 429. */
  readonly pendingName?: string;
  /** Epoch ms of the renames done in the current budget window. */
  readonly renames: readonly number[];
  readonly archived: boolean;
  readonly locked: boolean;
  readonly tags: readonly TagName[];
  /**
   * Note keys are `<scope>:<n>` where the scope hashes the delivery's body: a captured delivery re-sent under a
   * fresh delivery id (GitHub signs only the body) maps to the same keys. The scopes of the latest deliveries, oldest
   * first; the notes of older scopes are forgotten to bound the item's size.
   */
  readonly noteScopes?: readonly string[];
  /** Semantic key → Discord message id (summary, forwarded comments, notes). */
  readonly messages: Readonly<Record<string, string>>;
  readonly pr?: PrSnapshot;
}

/** Routing, mentions and noise policy the worker needs at run time. No secrets. */
export interface BridgeConfig {
  readonly guildId: string;
  readonly defaultChannelId: string;
  /** `owner/name` (case-insensitive) → channel id. */
  readonly channels: Readonly<Record<string, string>>;
  /** GitHub login (case-insensitive) → Discord user id. */
  readonly users: Readonly<Record<string, string>>;
  /** Thread names carry the repository: `auto` when 2+ repositories are routed to the channel. */
  readonly repoInName: 'auto' | 'always' | 'never';
  readonly policy: NoisePolicy;
}

export interface NoisePolicy {
  /** Ignore senders whose login ends in `[bot]` (except `allowBots`). @default true */
  readonly ignoreBots: boolean;
  readonly allowBots: readonly string[];
  readonly ignoreUsers: readonly string[];
  /** When non-empty, only PRs carrying one of these labels. */
  readonly includeLabels: readonly string[];
  readonly excludeLabels: readonly string[];
  /** When non-empty, only PRs whose base branch is listed. */
  readonly baseBranches: readonly string[];
  /** `include`: drafts get threads; `ignore`: a draft gets its thread when it becomes ready. @default 'include' */
  readonly drafts: 'include' | 'ignore';
  /** Post "N new commits" notes on `synchronize`. @default true */
  readonly syncNotes: boolean;
}
