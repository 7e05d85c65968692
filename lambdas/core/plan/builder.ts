/**
 * The shared shape of every non-ignored plan: `ensureThread` first, then the event's actions, with note keys
 * `<deliveryId>:<index>` so a retried delivery reuses the same nonces.
 */
import type { PrView } from '../events';
import { type Mentions, note, summary, threadName } from '../render';
import type {
  Action,
  BridgeConfig,
  Delivery,
  OutboundMessage,
  Plan,
  PrSnapshot,
  PrStatus,
  ReviewState,
  ThreadState,
} from '../types';
import { tagsFor } from './tags';

export interface PlanContext {
  readonly delivery: Delivery;
  readonly state: ThreadState | undefined;
  readonly config: BridgeConfig;
  readonly channelKind: 'text' | 'forum';
  /** The channel the PR's thread lives in (stored) or is routed to. */
  readonly channelId: string;
}

export function ignored(reason: string): Plan {
  return { ignored: reason, actions: [] };
}

/** Status after the event: from the payload when it says, else from what the bridge remembered (never invented). */
export function statusOf(pr: PrView, prior: PrSnapshot | undefined): PrStatus {
  if (pr.state === 'open') {
    if (pr.draft !== undefined) return pr.draft ? 'draft' : 'open';
    return prior?.status === 'draft' ? 'draft' : 'open';
  }
  if (pr.merged !== undefined) return pr.merged ? 'merged' : 'closed';
  return prior?.status === 'merged' ? 'merged' : 'closed';
}

export function snapshotOf(pr: PrView, prior: PrSnapshot | undefined, review?: ReviewState): PrSnapshot {
  return {
    title: pr.title,
    status: statusOf(pr, prior),
    review: review ?? prior?.review ?? 'none',
    url: pr.url,
  };
}

export class PlanBuilder {
  private readonly actions: Action[] = [];

  constructor(
    private readonly ctx: PlanContext,
    readonly pr: PrView,
    readonly snapshot: PrSnapshot,
  ) {
    const forum = ctx.channelKind === 'forum';
    this.actions.push({
      kind: 'ensureThread',
      name: this.threadName(),
      starter: summary(pr, snapshot.status, ctx.config),
      tags: forum ? tagsFor(snapshot) : [],
    });
  }

  threadName(): string {
    return threadName(this.ctx.config, this.ctx.channelId, { ...this.pr, title: this.snapshot.title });
  }

  /**
   * A note keyed `<delivery scope>:<index among the plan's notes>`: counting notes only keeps the key stable when
   * a retry plans fewer other actions (e.g. a rename already done).
   */
  note(line: (m: Mentions) => string, excerpt?: string): this {
    const key = `${this.ctx.delivery.id}:${this.notes++}`;
    return this.post(key, note(this.ctx.config, line, excerpt));
  }

  private notes = 0;

  post(key: string, message: OutboundMessage, replyToKey?: string): this {
    this.actions.push(
      replyToKey === undefined ? { kind: 'post', key, message } : { kind: 'post', key, message, replyToKey },
    );
    return this;
  }

  /** Edit the message forwarded under `key` (sent with allowed_mentions like a create). */
  edit(key: string, message: OutboundMessage): this {
    this.actions.push({ kind: 'edit', key, message });
    return this;
  }

  /** Delete the message forwarded under `key`. */
  remove(key: string): this {
    this.actions.push({ kind: 'delete', key });
    return this;
  }

  rename(name: string): this {
    this.actions.push({ kind: 'rename', name });
    return this;
  }

  /** Forum channels only: the tags for the snapshot. */
  setTags(): this {
    if (this.ctx.channelKind === 'forum') this.actions.push({ kind: 'setTags', tags: tagsFor(this.snapshot) });
    return this;
  }

  close(): this {
    this.actions.push({ kind: 'close' });
    return this;
  }

  reopen(): this {
    this.actions.push({ kind: 'reopen' });
    return this;
  }

  build(): Plan {
    return { actions: [...this.actions], pr: this.snapshot };
  }
}
