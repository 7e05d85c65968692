/**
 * The local mode's queue: the in-process stand-in for SNS FIFO → SQS FIFO (+ DLQ), with the same rules.
 *
 * - FIFO per group: at most one message of a group is in flight, and a failing message holds its group back
 *   until it succeeds or is dead-lettered; different groups run in parallel (bounded by `concurrency`).
 * - Retries with exponential backoff (`baseDelayMs · 2^(attempt-1)`, capped, never sooner than an error's
 *   `retryAfterMs`); dead letter after `maxAttempts` attempts, or at once when the error is not retryable.
 * - Deduplication on the message id (the delivery id) against the messages still in the queue.
 *
 * Persistence: one JSON file per message, `<dir>/<seq>.json`, written to a temporary file, fsynced and renamed
 * over the old one (atomic on POSIX), the directory fsynced after. `enqueue` resolves only once the file is
 * durable, so whatever was acknowledged survives a crash. Before each attempt the file records `attempts` and
 * `startedAt`; success deletes it; failure rewrites it as `retrying` (with `notBefore`) or `dead`. On start
 * every file is loaded again: an attempt that was interrupted (the process died or was stopped mid-attempt)
 * counts as an attempt and is retried no sooner than `interruptedDelayMs` after it started (the worker's claim
 * lease, so the retry is not refused as "busy"). Redrive gives a dead message a new sequence number (the end of
 * its group) and zero attempts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';

export type QueueItemState = 'queued' | 'inflight' | 'retrying' | 'dead';

export interface QueueMessage<T> {
  /** Deduplication id (the delivery id). */
  readonly id: string;
  /** FIFO group (the envelope's `groupId`). */
  readonly groupId: string;
  readonly body: T;
}

export interface QueueItem<T> extends QueueMessage<T> {
  /** Position in the queue; orders a group's messages. */
  readonly seq: number;
  readonly state: QueueItemState;
  /** Attempts started so far. */
  readonly attempts: number;
  readonly enqueuedAt: number;
  /** Epoch ms before which the message is not attempted (backoff). */
  readonly notBefore: number;
  /** Set while an attempt runs. */
  readonly startedAt?: number;
  readonly lastError?: string;
}

export type QueueEvent<T> =
  | { readonly type: 'enqueued' | 'started' | 'succeeded' | 'redriven'; readonly item: QueueItem<T> }
  | { readonly type: 'retrying' | 'dead'; readonly item: QueueItem<T>; readonly error: unknown };

export interface QueueOptions<T> {
  /** Directory of the message files (created when missing). */
  readonly dir: string;
  /** Processes one message; throws to fail the attempt. */
  readonly handler: (item: QueueItem<T>) => Promise<void>;
  /** Validates a message body read back from disk. */
  readonly decode: (raw: unknown) => T;
  /** Attempts before a message is dead-lettered (SQS `maxReceiveCount`). @default 5 */
  readonly maxAttempts?: number;
  /** Delay after the first failed attempt; doubles each time. @default 1000 */
  readonly baseDelayMs?: number;
  /** @default 60000 */
  readonly maxDelayMs?: number;
  /** Groups processed in parallel. @default 4 */
  readonly concurrency?: number;
  /** After a restart, how long after its start an interrupted attempt is retried. @default 0 */
  readonly interruptedDelayMs?: number;
  /** False ⇒ dead-letter at once. @default an error whose `retryable` is `false` is not retryable */
  readonly isRetryable?: (err: unknown) => boolean;
  /** Called after every state change (already persisted). */
  readonly onEvent?: (event: QueueEvent<T>) => void;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
}

export interface Queue<T> {
  /** Loads the persisted messages and starts processing. */
  start(): Promise<void>;
  /** Resolves once the message is durable; `duplicate` when a message with this id is still in the queue. */
  enqueue(message: QueueMessage<T>): Promise<'queued' | 'duplicate'>;
  /** Puts a dead message back at the end of its group with zero attempts; false when `id` is not dead. */
  redrive(id: string): Promise<boolean>;
  /** Every message still in the queue (dead ones included), in queue order. */
  items(): readonly QueueItem<T>[];
  /**
   * Stops taking work, waits up to `graceMs` for the attempts in flight, and detaches from the directory.
   * Anything unfinished stays on disk and resumes on the next start. Returns how many attempts were abandoned.
   */
  stop(graceMs?: number): Promise<number>;
}

const fileSchema = z.object({
  seq: z.number().int().nonnegative(),
  id: z.string().min(1),
  groupId: z.string().min(1),
  body: z.unknown(),
  state: z.enum(['queued', 'inflight', 'retrying', 'dead']),
  attempts: z.number().int().nonnegative(),
  enqueuedAt: z.number(),
  notBefore: z.number(),
  startedAt: z.number().optional(),
  lastError: z.string().optional(),
});

const FILE = /^(\d+)\.json$/;

function defaultIsRetryable(err: unknown): boolean {
  return !(typeof err === 'object' && err !== null && 'retryable' in err && err.retryable === false);
}

/** Delay before the next attempt after attempt `attempt` (1-based) failed with `err`. */
export function backoffDelay(
  attempt: number,
  err: unknown,
  { baseDelayMs, maxDelayMs }: { readonly baseDelayMs: number; readonly maxDelayMs: number },
): number {
  return Math.max(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)), retryAfter(err));
}

function retryAfter(err: unknown): number {
  if (typeof err === 'object' && err !== null && 'retryAfterMs' in err && typeof err.retryAfterMs === 'number') {
    return err.retryAfterMs;
  }
  return 0;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Writes `data` to `path` atomically and durably (temp file + fsync + rename + directory fsync). */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  await syncDir(dirname(path));
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  }
}

export function createQueue<T>(options: QueueOptions<T>): Queue<T> {
  const {
    dir,
    handler,
    decode,
    maxAttempts = 5,
    baseDelayMs = 1000,
    maxDelayMs = 60_000,
    concurrency = 4,
    interruptedDelayMs = 0,
    isRetryable = defaultIsRetryable,
    onEvent,
    now = Date.now,
  } = options;

  /** id → item, for every message still in the queue. */
  const byId = new Map<string, QueueItem<T>>();
  /** Groups with an attempt in flight → the attempt. */
  const running = new Map<string, Promise<void>>();
  let nextSeq = 1;
  let started = false;
  let stopping = false;
  let detached = false;
  let timer: NodeJS.Timeout | undefined;
  /** Serialises enqueue/redrive so ids and sequence numbers stay consistent. */
  let admission: Promise<unknown> = Promise.resolve();

  const pathOf = (seq: number) => join(dir, `${String(seq).padStart(12, '0')}.json`);

  const persist = async (item: QueueItem<T>): Promise<void> => {
    if (detached) return;
    await writeFileAtomic(pathOf(item.seq), JSON.stringify(item));
  };

  const remove = async (item: QueueItem<T>): Promise<void> => {
    if (detached) return;
    await rm(pathOf(item.seq), { force: true });
    await syncDir(dir);
  };

  const emit = (event: QueueEvent<T>): void => {
    try {
      onEvent?.(event);
    } catch {
      // A listener's failure must not break the queue.
    }
  };

  const ordered = (): QueueItem<T>[] => [...byId.values()].sort((a, b) => a.seq - b.seq);

  /** The message each idle group would run next, oldest group first. */
  const heads = (): QueueItem<T>[] => {
    const seen = new Set<string>();
    const out: QueueItem<T>[] = [];
    for (const item of ordered()) {
      if (item.state === 'dead' || seen.has(item.groupId)) continue;
      seen.add(item.groupId);
      if (!running.has(item.groupId)) out.push(item);
    }
    return out;
  };

  const pump = (): void => {
    if (!started || stopping) return;
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    const t = now();
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const head of heads()) {
      if (running.size >= concurrency) break;
      if (head.notBefore > t) {
        wakeAt = Math.min(wakeAt, head.notBefore);
        continue;
      }
      const attempt = runAttempt(head).finally(() => {
        running.delete(head.groupId);
        pump();
      });
      running.set(head.groupId, attempt);
    }
    if (wakeAt !== Number.POSITIVE_INFINITY && running.size < concurrency) {
      timer = setTimeout(pump, Math.max(0, wakeAt - t));
    }
  };

  const runAttempt = async (queued: QueueItem<T>): Promise<void> => {
    const item: QueueItem<T> = {
      ...queued,
      state: 'inflight',
      attempts: queued.attempts + 1,
      startedAt: now(),
    };
    try {
      await persist(item);
    } catch (err) {
      // The disk refused: try again later without counting the attempt.
      byId.set(item.id, { ...queued, notBefore: now() + baseDelayMs, lastError: describe(err) });
      return;
    }
    byId.set(item.id, item);
    emit({ type: 'started', item });
    let failure: { err: unknown } | undefined;
    try {
      await handler(item);
    } catch (err) {
      failure = { err };
    }
    if (detached) return;
    if (failure === undefined) {
      byId.delete(item.id);
      await remove(item).catch(() => undefined);
      emit({ type: 'succeeded', item });
      return;
    }
    const { err } = failure;
    const dead = item.attempts >= maxAttempts || !isRetryable(err);
    const delay = backoffDelay(item.attempts, err, { baseDelayMs, maxDelayMs });
    const next: QueueItem<T> = {
      ...item,
      state: dead ? 'dead' : 'retrying',
      startedAt: undefined,
      notBefore: dead ? item.notBefore : now() + delay,
      lastError: describe(err),
    };
    byId.set(next.id, next);
    await persist(next).catch(() => undefined);
    emit(dead ? { type: 'dead', item: next, error: err } : { type: 'retrying', item: next, error: err });
  };

  const load = async (): Promise<void> => {
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).filter((n) => FILE.test(n)).sort();
    for (const name of names) {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(join(dir, name), 'utf8')));
      if (!parsed.success) throw new Error(`Queue file ${join(dir, name)} is malformed: ${parsed.error.message}`);
      const raw = parsed.data;
      let item: QueueItem<T> = { ...raw, body: decode(raw.body) };
      nextSeq = Math.max(nextSeq, item.seq + 1);
      const older = byId.get(item.id);
      // A crash during a redrive can leave two files for one id: the newer one wins.
      if (older !== undefined) await rm(pathOf(older.seq), { force: true });
      if (item.state === 'inflight') {
        const startedAt = item.startedAt ?? now();
        item =
          item.attempts >= maxAttempts
            ? { ...item, state: 'dead', startedAt: undefined, lastError: 'The last attempt was interrupted.' }
            : {
                ...item,
                state: 'retrying',
                startedAt: undefined,
                notBefore: startedAt + interruptedDelayMs,
                lastError: 'The previous attempt was interrupted by a restart.',
              };
      }
      byId.set(item.id, item);
    }
  };

  const admit = <R>(fn: () => Promise<R>): Promise<R> => {
    const result = admission.then(fn);
    admission = result.catch(() => undefined);
    return result;
  };

  return {
    async start() {
      if (started) return;
      await load();
      started = true;
      pump();
    },

    enqueue(message) {
      return admit(async () => {
        if (stopping) throw new Error('The queue is stopping; the message was not accepted.');
        const existing = byId.get(message.id);
        if (existing !== undefined && existing.state !== 'dead') return 'duplicate';
        const t = now();
        const item: QueueItem<T> = {
          ...message,
          seq: nextSeq++,
          state: 'queued',
          attempts: 0,
          enqueuedAt: t,
          notBefore: t,
        };
        await persist(item);
        if (existing !== undefined) await remove(existing);
        byId.set(item.id, item);
        emit({ type: 'enqueued', item });
        pump();
        return 'queued';
      });
    },

    redrive(id) {
      return admit(async () => {
        const dead = byId.get(id);
        if (dead === undefined || dead.state !== 'dead') return false;
        const item: QueueItem<T> = {
          ...dead,
          seq: nextSeq++,
          state: 'queued',
          attempts: 0,
          notBefore: now(),
          lastError: undefined,
        };
        await persist(item);
        await remove(dead);
        byId.set(id, item);
        emit({ type: 'redriven', item });
        pump();
        return true;
      });
    },

    items: ordered,

    async stop(graceMs = 5000) {
      stopping = true;
      if (timer !== undefined) clearTimeout(timer);
      await admission;
      const inflight = [...running.values()];
      let graceTimer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.allSettled(inflight).then(() => true),
        new Promise<boolean>((resolve) => {
          graceTimer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(graceTimer);
      detached = true;
      return finished ? 0 : running.size;
    },
  };
}
