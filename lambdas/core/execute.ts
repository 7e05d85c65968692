/**
 * Executes a plan against Discord, keeping the PR's thread state in step.
 *
 * Exactly-once rules (design §3):
 * - thread-creation intents and ids are saved at once; everything else is saved once, when the plan is done;
 * - creates carry a nonce derived from the semantic key, so a crash between Discord's answer and the save
 *   is absorbed by Discord's nonce window, and past it by a look-up of the latest messages on the retry;
 *   after the save, the `messages` map absorbs any later replay;
 * - text-channel threads start from the summary message (thread id = message id, a repeat answers 160004);
 *   forum posts record an intent (the name) first and are looked up by name before a second creation;
 * - consecutive thread patches (tags, archive/lock, unarchive/unlock) go out as one PATCH.
 */
import { createHash } from 'node:crypto';
import {
  type ChannelInfo,
  DiscordError,
  type DiscordPort,
  type Log,
  METRIC,
  type MetricsSink,
  type RecentMessage,
  type ThreadPatch,
  type ThreadStore,
} from './ports';
import type { Action, OutboundMessage, Plan, TagName, ThreadState } from './types';

/** Discord allows about 2 renames per 10 minutes per thread (undocumented). */
export const RENAME_WINDOW_MS = 10 * 60_000;
export const RENAMES_PER_WINDOW = 2;
/** Messages searched for an earlier attempt's create (Discord's maximum page). */
const RECOVERY_LOOKBACK = 50;
const CLOCK_SKEW_MS = 60_000;
/** Discord: "Thread is archived". */
const ARCHIVED = 50083;

export interface ExecuteContext {
  readonly discord: DiscordPort;
  readonly threads: ThreadStore;
  readonly channel: ChannelInfo;
  readonly guildId: string;
  readonly deliveryId: string;
  /** The scope of this delivery's note keys (see {@link noteScopeOf}). */
  readonly noteScope: string;
  readonly now: number;
  readonly log: Log;
  readonly metrics: MetricsSink;
  /**
   * A retry of a delivery (receive count > 1): a create of an earlier attempt may have been applied after
   * Discord's nonce window closed, so look for it among the latest messages before creating again.
   */
  readonly recovering: boolean;
  /** When ingest accepted the delivery (epoch ms): a message found while recovering must be newer. */
  readonly since: number;
  /** Resolves forum tag names to ids, creating missing tags on the channel. */
  readonly tagIds: (names: readonly TagName[]) => Promise<readonly string[]>;
}

type EnsureThread = Extract<Action, { kind: 'ensureThread' }>;

/** Deliveries whose note keys are remembered per thread. */
const NOTE_SCOPES_KEPT = 50;

/** Note-key scope of a delivery: a hash of its raw body, so a re-sent capture maps to the same keys. */
export function noteScopeOf(body: string): string {
  return `n${createHash('sha256').update(body).digest('hex').slice(0, 16)}`;
}

const isNoteKey = (key: string) => /^n[0-9a-f]{16}:/.test(key);

/** What identifies a message we created: its content and its embeds' titles and links. */
const fingerprint = (content: string, embeds: readonly { readonly title?: string; readonly url?: string }[]) =>
  JSON.stringify([content, embeds.map((e) => [e.title ?? '', e.url ?? ''])]);

/** Discord nonce (≤ 25 chars) for a semantic key within one PR's thread. */
export function nonceFor(threadKey: string, key: string): string {
  return createHash('sha256').update(`${threadKey}\u0000${key}`).digest('base64url').slice(0, 25);
}

export function emptyState(key: string, channelId: string): ThreadState {
  return { key, version: 0, channelId, renames: [], archived: false, locked: false, tags: [], messages: {} };
}

const sameTags = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

/** Runs the plan's actions in order; returns the saved final state. */
export async function executePlan(plan: Plan, initial: ThreadState, ctx: ExecuteContext): Promise<ThreadState> {
  const run = new Execution(initial, ctx);
  const ensure = plan.actions.find((a): a is EnsureThread => a.kind === 'ensureThread');
  for (const action of plan.actions) await run.apply(action, ensure);
  await run.finish(ensure, plan);
  return run.state;
}

class Execution {
  private patch: { archived?: boolean; locked?: boolean; tags?: readonly TagName[] } = {};
  /** The thread was archived/locked before this delivery and had to be opened: restore that at the end. */
  private restore: { archived: boolean; locked: boolean } | undefined;
  /** Recovery look-ups of this execution, by channel. */
  private readonly recent = new Map<string, Promise<readonly RecentMessage[]>>();

  constructor(
    public state: ThreadState,
    private readonly ctx: ExecuteContext,
  ) {}

  private get forum(): boolean {
    return this.ctx.channel.kind === 'forum';
  }

  /** Writes the state now: for thread-creation intents and ids, which must survive a crash. */
  private async save(changes: Partial<ThreadState>): Promise<void> {
    this.state = await this.ctx.threads.put({ ...this.state, ...changes });
  }

  /**
   * Records a change in memory; `finish` writes it once. A crash before that is covered on the retry by the
   * creates' nonces and, past their window, by the recovery look-up (`findApplied`); patches are idempotent.
   */
  private set(changes: Partial<ThreadState>): void {
    this.state = { ...this.state, ...changes };
  }

  async apply(action: Action, ensure: EnsureThread | undefined): Promise<void> {
    switch (action.kind) {
      case 'ensureThread':
        if (!this.state.threadId) await this.createThread(action);
        else await this.applyPendingRename();
        return;
      case 'setTags':
        if (this.forum) this.patch = { ...this.patch, tags: action.tags };
        return;
      case 'close':
        this.restore = undefined;
        this.patch = { ...this.patch, archived: true, locked: true };
        return;
      case 'reopen':
        this.restore = undefined;
        this.patch = { ...this.patch, archived: false, locked: false };
        return;
      case 'rename':
        await this.flush(ensure);
        await this.rename(action.name, ensure);
        return;
      case 'post':
        await this.flush(ensure);
        await this.post(action.key, action.message, action.replyToKey, ensure);
        return;
      case 'edit':
      case 'delete':
        await this.flush(ensure);
        await this.editOrDelete(action, ensure);
        return;
    }
  }

  async finish(ensure: EnsureThread | undefined, plan: Plan): Promise<void> {
    if (this.restore) this.patch = { ...this.patch, ...this.restore };
    this.restore = undefined;
    await this.flush(ensure);
    // Remember the notes of the latest deliveries only (bounded item size); forwarded comments stay.
    const scope = this.ctx.noteScope;
    const scopes = [...(this.state.noteScopes ?? []).filter((s) => s !== scope), scope].slice(-NOTE_SCOPES_KEPT);
    const kept = new Set(scopes);
    const messages = Object.fromEntries(
      Object.entries(this.state.messages).filter(([k]) => !isNoteKey(k) || kept.has(k.slice(0, k.indexOf(':')))),
    );
    await this.save({ messages, noteScopes: scopes, pr: plan.pr ?? this.state.pr });
  }

  // ------------------------------------------------------------ thread creation

  private async createThread(ensure: EnsureThread): Promise<void> {
    if (this.forum) await this.createForumPost(ensure);
    else await this.createTextThread(ensure);
    this.ctx.log.info('thread created', { threadId: this.state.threadId, forum: this.forum });
  }

  private async createTextThread(ensure: EnsureThread, attempt = 0): Promise<void> {
    const { discord } = this.ctx;
    const channelId = this.state.channelId;
    let starterId = this.state.pendingStarterId;
    if (!starterId) {
      const nonce = nonceFor(this.state.key, `${this.ctx.deliveryId}:thread:${this.state.threadGeneration ?? 0}`);
      starterId =
        (await this.findApplied(channelId, ensure.starter)) ??
        (await discord.createMessage(channelId, { ...ensure.starter, nonce })).id;
      await this.save({ pendingStarterId: starterId });
    }
    let threadId: string;
    try {
      threadId = (await discord.startThreadFromMessage(channelId, starterId, ensure.name)).id;
    } catch (err) {
      if (err instanceof DiscordError && err.kind === 'threadExists') threadId = starterId;
      else if (err instanceof DiscordError && err.kind === 'missingMessage' && attempt < 2) {
        // The starter was deleted before the thread started: start over with a new starter.
        await this.save({ pendingStarterId: undefined, threadGeneration: (this.state.threadGeneration ?? 0) + 1 });
        return this.createTextThread(ensure, attempt + 1);
      } else throw err;
    }
    await this.save({
      threadId,
      pendingStarterId: undefined,
      name: ensure.name,
      archived: false,
      locked: false,
      tags: [],
      messages: { ...this.state.messages, summary: starterId },
    });
  }

  private async createForumPost(ensure: EnsureThread): Promise<void> {
    const { discord } = this.ctx;
    const channelId = this.state.channelId;
    if (this.state.pendingForumName) {
      const found = await discord.findThread(this.ctx.guildId, channelId, this.state.pendingForumName);
      if (found) {
        await this.save({
          threadId: found.id,
          pendingForumName: undefined,
          name: found.name,
          archived: found.archived,
          locked: found.locked,
          tags: ensure.tags,
          messages: { ...this.state.messages, summary: found.id },
        });
        return;
      }
    }
    await this.save({ pendingForumName: ensure.name });
    const appliedTagIds = await this.ctx.tagIds(ensure.tags);
    const post = await discord.createForumPost(channelId, {
      name: ensure.name,
      message: ensure.starter,
      appliedTagIds,
    });
    await this.save({
      threadId: post.id,
      pendingForumName: undefined,
      name: ensure.name,
      archived: false,
      locked: false,
      tags: ensure.tags,
      messages: { ...this.state.messages, summary: post.starterMessageId },
    });
  }

  /** The thread was deleted on Discord: forget it and create it again. */
  private async recreate(ensure: EnsureThread | undefined, cause: unknown): Promise<void> {
    if (!ensure) throw cause;
    this.ctx.log.warn('thread missing on Discord, recreating', { threadId: this.state.threadId });
    await this.save({
      threadId: undefined,
      pendingStarterId: undefined,
      pendingForumName: undefined,
      threadGeneration: (this.state.threadGeneration ?? 0) + 1,
      archived: false,
      locked: false,
      tags: [],
      messages: {},
    });
    this.restore = undefined;
    await this.createThread(ensure);
  }

  /** Runs a thread operation; on 404 Unknown Channel recreates the thread once and runs it again. */
  private async onThread<T>(ensure: EnsureThread | undefined, op: (threadId: string) => Promise<T>): Promise<T> {
    if (!this.state.threadId) {
      if (!ensure) throw new Error('no thread for this pull request and no way to create one');
      await this.createThread(ensure);
    }
    try {
      return await op(this.state.threadId!);
    } catch (err) {
      if (!(err instanceof DiscordError && err.kind === 'missing')) throw err;
      await this.recreate(ensure, err);
      return op(this.state.threadId!);
    }
  }

  // ------------------------------------------------------------ thread patches

  private async flush(ensure: EnsureThread | undefined): Promise<void> {
    const want = this.patch;
    this.patch = {};
    const patch: { -readonly [K in keyof ThreadPatch]: ThreadPatch[K] } = {};
    if (want.tags && !sameTags(want.tags, this.state.tags)) patch.appliedTagIds = await this.ctx.tagIds(want.tags);
    if (want.archived !== undefined && want.archived !== this.state.archived) patch.archived = want.archived;
    if (want.locked !== undefined && want.locked !== this.state.locked) patch.locked = want.locked;
    if (Object.keys(patch).length === 0) {
      if (want.tags && !sameTags(want.tags, this.state.tags)) this.set({ tags: want.tags });
      return;
    }
    // An archived thread accepts a PATCH only together with `archived: false` (50083): open it for this
    // delivery and archive it again at the end.
    if (this.state.archived && patch.archived === undefined) {
      this.remember();
      patch.archived = false;
    }
    await this.onThread(ensure, (id) => this.ctx.discord.editThread(id, patch)).catch((err: unknown) => {
      // A retried archive whose first attempt was applied (5xx after apply) finds the thread archived: done.
      if (patch.archived === true && err instanceof DiscordError && err.code === ARCHIVED) return;
      throw err;
    });
    this.set({
      archived: patch.archived ?? this.state.archived,
      locked: patch.locked ?? this.state.locked,
      tags: want.tags ?? this.state.tags,
    });
  }

  /** Makes the thread writable (unarchive + unlock) when it is closed, remembering to close it again. */
  private async openForWriting(ensure: EnsureThread | undefined): Promise<void> {
    if (!this.state.archived && !this.state.locked) return;
    this.remember();
    await this.onThread(ensure, (id) => this.ctx.discord.editThread(id, { archived: false, locked: false }));
    this.set({ archived: false, locked: false });
  }

  private remember(): void {
    this.restore ??= { archived: this.state.archived, locked: this.state.locked };
  }

  // ------------------------------------------------------------ renames

  private renameBudgetLeft(): readonly number[] | undefined {
    const recent = this.state.renames.filter((t) => this.ctx.now - t < RENAME_WINDOW_MS);
    return recent.length < RENAMES_PER_WINDOW ? recent : undefined;
  }

  private async applyPendingRename(): Promise<void> {
    const pending = this.state.pendingName;
    if (!pending || !this.renameBudgetLeft()) return;
    await this.rename(pending, undefined);
  }

  private async rename(name: string, ensure: EnsureThread | undefined): Promise<void> {
    if (name === this.state.name) {
      if (this.state.pendingName) this.set({ pendingName: undefined });
      return;
    }
    const recent = this.renameBudgetLeft();
    if (!recent) return this.deferRename(name, 'rename budget spent');
    if (this.state.archived) await this.openForWriting(ensure);
    try {
      await this.onThread(ensure, (id) => this.ctx.discord.editThread(id, { name }));
    } catch (err) {
      if (err instanceof DiscordError && err.kind === 'rateLimited') return this.deferRename(name, 'rate limited');
      throw err;
    }
    this.set({ name, pendingName: undefined, renames: [...recent, this.ctx.now] });
  }

  private async deferRename(name: string, reason: string): Promise<void> {
    this.ctx.metrics.count(METRIC.renamesDeferred);
    this.ctx.log.info('rename deferred', { reason });
    this.set({ pendingName: name });
  }

  // ------------------------------------------------------------ messages

  private async post(
    key: string,
    message: OutboundMessage,
    replyToKey: string | undefined,
    ensure: EnsureThread | undefined,
  ): Promise<void> {
    if (this.state.messages[key]) return;
    if (!this.state.threadId && ensure) await this.createThread(ensure);
    await this.openForWriting(ensure);
    const id = await this.onThread(ensure, async (threadId) => {
      const found = await this.findApplied(threadId, message);
      if (found) return found;
      const replyTo = replyToKey ? this.state.messages[replyToKey] : undefined;
      const nonce = nonceFor(this.state.key, `${key}#${this.state.threadGeneration ?? 0}`);
      return (await this.ctx.discord.createMessage(threadId, { ...message, nonce, replyToMessageId: replyTo })).id;
    });
    this.set({ messages: { ...this.state.messages, [key]: id } });
  }

  /** While recovering: the id of an identical message created since the delivery arrived, if any. */
  private async findApplied(channelId: string, message: OutboundMessage): Promise<string | undefined> {
    if (!this.ctx.recovering) return undefined;
    // One look-up per channel and execution: what an earlier attempt created is there already.
    let lookup = this.recent.get(channelId);
    if (!lookup) {
      lookup = this.ctx.discord.recentMessages(channelId, RECOVERY_LOOKBACK);
      this.recent.set(channelId, lookup);
    }
    const recent = await lookup;
    const since = this.ctx.since - CLOCK_SKEW_MS;
    const known = new Set(Object.values(this.state.messages));
    const want = fingerprint(message.content, message.embeds ?? []);
    return recent.find((m) => m.createdAt >= since && !known.has(m.id) && fingerprint(m.content, m.embeds) === want)
      ?.id;
  }

  private async editOrDelete(
    action: Extract<Action, { kind: 'edit' | 'delete' }>,
    ensure: EnsureThread | undefined,
  ): Promise<void> {
    const messageId = this.state.messages[action.key];
    if (!messageId || !this.state.threadId) return;
    await this.openForWriting(ensure);
    try {
      if (action.kind === 'edit') await this.ctx.discord.editMessage(this.state.threadId, messageId, action.message);
      else await this.ctx.discord.deleteMessage(this.state.threadId, messageId);
    } catch (err) {
      if (!(err instanceof DiscordError && (err.kind === 'missingMessage' || err.kind === 'missing'))) throw err;
    }
    if (action.kind === 'delete') {
      const { [action.key]: _gone, ...rest } = this.state.messages;
      this.set({ messages: rest });
    }
  }
}
