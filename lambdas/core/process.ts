/**
 * One delivery, start to finish: claim → load state → plan (pure) → execute → mark done.
 * Shared by the worker Lambda and the local mode; the only difference between them is the queue in front.
 */
import { channelFor } from './config';
import { PermanentError, RetryableError } from './errors';
import { emptyState, executePlan, noteScopeOf } from './execute';
import { plan as planDelivery } from './plan';
import {
  type ChannelInfo,
  type DeliveryStore,
  type DiscordPort,
  type Log,
  METRIC,
  type MetricsSink,
  StaleStateError,
  type ThreadStore,
} from './ports';
import {
  type Action,
  type BridgeConfig,
  type Envelope,
  type Plan,
  TAG_NAMES,
  type TagName,
  type ThreadState,
} from './types';

export interface WorkerDeps {
  readonly deliveries: DeliveryStore;
  readonly threads: ThreadStore;
  readonly discord: DiscordPort;
  readonly config: BridgeConfig;
  /** Resolves the raw payload text (inline body or claim check). */
  readonly loadBody: (envelope: Envelope) => Promise<string>;
  readonly log: Log;
  readonly metrics: MetricsSink;
  readonly now: () => number;
  /** How long a claim holds; no longer than the queue's visibility timeout, so a crashed attempt's retry is not blocked. */
  readonly leaseMs: number;
  /** Channel facts cached across deliveries (one per process). */
  readonly channels?: ChannelDirectory;
}

export interface ProcessResult {
  readonly status: 'done' | 'duplicate' | 'ignored';
  readonly reason?: string;
  readonly actions: readonly Action[];
}

const STALE_RETRIES = 3;
/** Discord deduplicates an `enforce_nonce` create for "a few minutes"; assume less. */
const NONCE_WINDOW_MS = 2 * 60_000;

export interface ProcessOptions {
  /** 1 for the first attempt; SQS's ApproximateReceiveCount or the local queue's attempt number. @default 1 */
  readonly attempt?: number;
}

/** Processes one delivery exactly once. Throws when it must be retried (see `isRetryable`). */
export async function processEnvelope(
  envelope: Envelope,
  deps: WorkerDeps,
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const { deliveries, log, metrics, now } = deps;
  const claim = await deliveries.claim(envelope.deliveryId, now(), deps.leaseMs);
  if (claim === 'done') {
    metrics.count(METRIC.deliveriesDuplicate);
    log.info('duplicate delivery skipped');
    return { status: 'duplicate', actions: [] };
  }
  if (claim === 'busy') throw new RetryableError('Another attempt is processing this delivery; retry later.');
  try {
    // After a failed or crashed attempt (a queue retry, a redrive, a manual GitHub redelivery), or past Discord's
    // nonce window, look for creates an earlier attempt may have applied before creating again.
    const late = now() - envelope.receivedAt > NONCE_WINDOW_MS;
    const recovering = claim === 'reclaimed' || (options.attempt ?? 1) > 1 || late;
    // Messages created before the first attempt cannot be ours (a redelivery arrives with a later receivedAt).
    const since = Math.min(
      envelope.receivedAt,
      deliveries.firstAttemptAt(envelope.deliveryId) ?? Number.POSITIVE_INFINITY,
    );
    const result = await run(envelope, deps, recovering, since);
    await deliveries.complete(envelope.deliveryId, now());
    metrics.count(METRIC.deliveriesProcessed);
    metrics.milliseconds(METRIC.endToEndLag, Math.max(0, now() - envelope.receivedAt));
    log.info(result.status === 'ignored' ? 'delivery ignored' : 'delivery processed', {
      reason: result.reason,
      actions: result.actions.map((a) => a.kind),
    });
    return result;
  } catch (err) {
    metrics.count(METRIC.deliveriesFailed);
    await deliveries.release(envelope.deliveryId).catch((releaseErr: unknown) => {
      log.warn('could not release the claim; it expires with its lease', { error: String(releaseErr) });
    });
    throw err;
  }
}

async function run(envelope: Envelope, deps: WorkerDeps, recovering: boolean, since: number): Promise<ProcessResult> {
  const body = await deps.loadBody(envelope);
  for (let attempt = 0; ; attempt++) {
    const prepared = await prepare(envelope, deps, body);
    if (prepared.plan.ignored !== undefined) {
      return { status: 'ignored', reason: prepared.plan.ignored, actions: [] };
    }
    try {
      await executePlan(prepared.plan, prepared.state, {
        discord: deps.discord,
        threads: deps.threads,
        channel: prepared.channel,
        guildId: deps.config.guildId,
        deliveryId: envelope.deliveryId,
        noteScope: prepared.noteScope,
        now: deps.now(),
        log: deps.log,
        metrics: deps.metrics,
        recovering,
        since,
        tagIds: (names) => directory(deps).tagIds(prepared.channel.id, names, deps.now()),
      });
      return { status: 'done', actions: prepared.plan.actions };
    } catch (err) {
      // Another writer moved the thread state on: plan again from the fresh state (keys keep it idempotent).
      if (!(err instanceof StaleStateError) || attempt + 1 >= STALE_RETRIES) throw err;
      deps.log.info('thread state changed underneath, planning again', { attempt });
    }
  }
}

interface Prepared {
  readonly plan: Plan;
  readonly state: ThreadState;
  readonly channel: ChannelInfo;
  readonly noteScope: string;
}

/** Plans against the current thread state (called again after a state race; the body is loaded once). */
async function prepare(envelope: Envelope, deps: WorkerDeps, body: string): Promise<Prepared> {
  const payload = parsePayload(body);
  const key = envelope.groupId;
  const stored = await deps.threads.get(key);
  // An existing thread stays where it is even if routing changed since.
  const channelId = stored?.threadId ? stored.channelId : channelFor(deps.config, envelope.repository);
  const state = stored ?? emptyState(key, channelId);
  const channel = await directory(deps).get(state.channelId, deps.now());
  const noteScope = noteScopeOf(body);
  const delivery = {
    // The planner keys notes by this id: the body's hash, not the delivery id (see ThreadState.noteScopes).
    id: noteScope,
    event: envelope.event,
    action: envelope.action,
    receivedAt: envelope.receivedAt,
    payload,
  };
  const kind = channel.kind === 'forum' ? 'forum' : 'text';
  return { plan: planDelivery(delivery, stored, deps.config, kind), state, channel, noteScope };
}

function parsePayload(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new PermanentError('Delivery payload is not JSON.');
  }
}

/** What the delivery would do, without claiming it or changing anything (dry runs, replay). */
export async function planEnvelope(envelope: Envelope, deps: WorkerDeps): Promise<Plan> {
  return (await prepare(envelope, deps, await deps.loadBody(envelope))).plan;
}

// ------------------------------------------------------------ channel directory

/** Caches channel facts (kind, forum tags) and creates the bridge's forum tags when missing. */
export interface ChannelDirectory {
  get(channelId: string, now: number): Promise<ChannelInfo>;
  tagIds(channelId: string, names: readonly TagName[], now: number): Promise<readonly string[]>;
}

const fallbackDirectories = new WeakMap<DiscordPort, ChannelDirectory>();

function directory(deps: WorkerDeps): ChannelDirectory {
  if (deps.channels) return deps.channels;
  let dir = fallbackDirectories.get(deps.discord);
  if (!dir) {
    dir = createChannelDirectory(deps.discord);
    fallbackDirectories.set(deps.discord, dir);
  }
  return dir;
}

/** Discord allows 20 tags per forum channel. */
const MAX_FORUM_TAGS = 20;

export function createChannelDirectory(discord: DiscordPort, ttlMs = 10 * 60_000): ChannelDirectory {
  const cache = new Map<string, { info: ChannelInfo; at: number }>();
  const get = async (channelId: string, now: number): Promise<ChannelInfo> => {
    const hit = cache.get(channelId);
    if (hit && now - hit.at < ttlMs) return hit.info;
    const info = await discord.getChannel(channelId);
    cache.set(channelId, { info, at: now });
    return info;
  };
  return {
    get,
    async tagIds(channelId, names, now) {
      let info = await get(channelId, now);
      if (info.kind !== 'forum') return [];
      const byName = () => new Map(info.tags.map((t) => [t.name.toLowerCase(), t.id]));
      const missing = TAG_NAMES.filter((n) => !byName().has(n.toLowerCase()));
      if (missing.length > 0 && info.tags.length + missing.length <= MAX_FORUM_TAGS) {
        const tags = await discord.setForumTags(channelId, [...info.tags, ...missing.map((name) => ({ name }))]);
        info = { ...info, tags };
        cache.set(channelId, { info, at: now });
      }
      const ids = byName();
      return names.map((n) => ids.get(n.toLowerCase())).filter((id): id is string => id !== undefined);
    },
  };
}
