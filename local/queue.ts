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
 * over the old one (atomic on POSIX), the directory fsynced after. Writes go through a group commit
 * (`createGroupCommit`): whatever is submitted while a batch is being committed joins the next batch, whose files
 * are fsynced in parallel followed by ONE directory fsync shared by all. `enqueue` takes its checks and sequence
 * number synchronously, in call order (no lock held across the disk), and resolves only once its file is durable,
 * so whatever was acknowledged survives a crash; the message becomes visible to the workers then. Before each
 * attempt the file records `attempts` and `startedAt` (durably, before the handler runs); after a success the
 * group goes on at once and the file is deleted once `settle` (the caller's own durable write) is done; failure
 * rewrites it as `retrying` (with `notBefore`) or `dead`. On start every file is loaded again (temp files of
 * unfinished writes are dropped): an attempt that was interrupted (the process died or was stopped mid-attempt)
 * counts as an attempt and is retried no sooner than `interruptedDelayMs` after it started (the worker's claim
 * lease, so the retry is not refused as "busy"). Redrive gives a dead message a new sequence number (the end of
 * its group) and zero attempts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
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
  /**
   * After a successful attempt, what must be durable before the message file is removed (e.g. the delivery's
   * record). Runs without holding the group back; if it fails, the file stays and the message runs once more
   * after a restart (processing is idempotent).
   */
  readonly settle?: (item: QueueItem<T>) => Promise<void>;
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
  /**
   * Resolves once the message is durable (fsynced, with its directory entry); `duplicate` when a message with this
   * id is still in the queue. Concurrent calls share one group commit; sequence numbers follow the call order.
   */
  enqueue(message: QueueMessage<T>): Promise<'queued' | 'duplicate'>;
  /** Puts a dead message back at the end of its group with zero attempts; false when `id` is not dead. */
  redrive(id: string): Promise<boolean>;
  /** Every message still in the queue (dead ones included), in queue order. */
  items(): readonly QueueItem<T>[];
  /** The message with this id still in the queue (dead ones included). */
  get(id: string): QueueItem<T> | undefined;
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
  await writeSynced(path, data);
  await syncDir(dirname(path));
}

/** Temp names: unique within the process (a counter), and across processes (a random prefix). */
const TMP_PREFIX = randomBytes(4).toString('hex');
let tmpCounter = 0;
const tmpPath = (path: string) => `${path}.${TMP_PREFIX}${(tmpCounter++).toString(36)}.tmp`;

/** Temp file, fsync, rename over `path`; the directory entry still needs a directory fsync. */
async function writeSynced(path: string, data: string): Promise<void> {
  const tmp = tmpPath(path);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/**
 * Replaces `path` atomically without waiting for the disk (temp file + rename, no fsync): survives the process
 * dying (the page cache outlives it), not a power loss. For state that can be rebuilt or lost without losing work.
 */
export async function writeFileLazy(path: string, data: string): Promise<void> {
  const tmp = tmpPath(path);
  try {
    await writeFile(tmp, data, 'utf8');
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/** fsyncs a file written without waiting; `bytes`: its expected size (else it is incomplete: an error). */
async function syncFile(path: string, bytes?: number): Promise<void> {
  const handle = await open(path, 'r');
  try {
    if (bytes !== undefined && (await handle.stat()).size !== bytes) throw new Error(`${path} is incomplete.`);
    await handle.sync();
  } finally {
    await handle.close();
  }
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

/** Removes the temp files of writes a crash cut short (never acknowledged, so nothing is lost). */
export async function removeStaleTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.endsWith('.tmp')).map((n) => rm(join(dir, n), { force: true })));
}

/**
 * Group commit: every file operation submitted while a batch is being committed joins the next batch, and a batch
 * costs one round of parallel file fsyncs plus ONE fsync per directory, shared by all its callers.
 *
 * - `write`: atomic replace (temp + fsync + rename); resolves once the file and its directory entry are durable.
 * - `sync`: fsyncs a file written earlier without waiting (see `writeFileLazy`), and its directory entry; fails
 *   when `bytes` is given and the file has another size.
 * - `remove`: unlinks after the batch's writes are durable (a write that replaces what is removed lands first);
 *   resolves once unlinked. The unlink is made durable by the next batch's directory fsync: a power loss before
 *   that can bring the file back, which at-least-once processing tolerates (the delivery is run again, a no-op).
 *
 * Within one batch the last operation on a path wins (a `sync` does not undo a pending `write`).
 */
export interface GroupCommit {
  write(path: string, data: string): Promise<void>;
  sync(path: string, bytes?: number): Promise<void>;
  remove(path: string): Promise<void>;
  /** Resolves once everything submitted so far is committed. */
  idle(): Promise<void>;
}

type CommitOp =
  | { readonly kind: 'write'; readonly data: string }
  | { readonly kind: 'sync'; readonly bytes?: number }
  | { readonly kind: 'remove' };

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface Batch {
  readonly ops: Map<string, CommitOp>;
  readonly waiters: Map<string, Waiter[]>;
}

export function createGroupCommit(): GroupCommit {
  let next: Batch | undefined;
  let draining: Promise<void> | undefined;
  /** Directories with unlinks not yet fsynced: the next batch syncs them too. */
  const unsyncedDirs = new Set<string>();

  const commitBatch = async ({ ops, waiters }: Batch): Promise<void> => {
    const failures = new Map<string, unknown>();
    const dirs = new Set(unsyncedDirs);
    unsyncedDirs.clear();
    const removes: string[] = [];
    await Promise.all(
      [...ops].map(async ([path, op]) => {
        if (op.kind === 'remove') {
          removes.push(path);
          return;
        }
        try {
          if (op.kind === 'write') await writeSynced(path, op.data);
          else await syncFile(path, op.bytes);
          dirs.add(dirname(path));
        } catch (err) {
          failures.set(path, err);
        }
      }),
    );
    await Promise.all([...dirs].map(syncDir));
    await Promise.all(
      removes.map(async (path) => {
        try {
          await rm(path, { force: true });
          unsyncedDirs.add(dirname(path));
        } catch (err) {
          failures.set(path, err);
        }
      }),
    );
    for (const [path, list] of waiters) {
      const failure = failures.get(path);
      for (const waiter of list) {
        if (failures.has(path)) waiter.reject(failure);
        else waiter.resolve();
      }
    }
  };

  const drain = async (): Promise<void> => {
    // Let every submission of this turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (next !== undefined) {
      const batch = next;
      next = undefined;
      await commitBatch(batch);
    }
    draining = undefined;
  };

  const submit = (path: string, op: CommitOp): Promise<void> => {
    if (next === undefined) next = { ops: new Map(), waiters: new Map() };
    const batch = next;
    const previous = batch.ops.get(path);
    if (!(op.kind === 'sync' && previous?.kind === 'write')) batch.ops.set(path, op);
    const promise = new Promise<void>((resolve, reject) => {
      const list = batch.waiters.get(path);
      if (list === undefined) batch.waiters.set(path, [{ resolve, reject }]);
      else list.push({ resolve, reject });
    });
    draining ??= drain();
    return promise;
  };

  return {
    write: (path, data) => submit(path, { kind: 'write', data }),
    sync: (path, bytes) => submit(path, bytes === undefined ? { kind: 'sync' } : { kind: 'sync', bytes }),
    remove: (path) => submit(path, { kind: 'remove' }),
    async idle() {
      while (draining !== undefined) await draining;
    },
  };
}

export function createQueue<T>(options: QueueOptions<T>): Queue<T> {
  const {
    dir,
    handler,
    settle,
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

  /** id → item, for every message still in the queue (committed to disk). */
  const byId = new Map<string, QueueItem<T>>();
  /** groupId → the ids of its messages in sequence order (dead ones included). */
  const groups = new Map<string, string[]>();
  /** Groups with an attempt in flight → the attempt. */
  const running = new Map<string, Promise<void>>();
  /** Successful attempts still settling (see `settle`) before their file is removed. */
  const tails = new Set<Promise<void>>();
  /** Ids whose enqueue or redrive is being committed → its outcome. */
  const pending = new Map<string, Promise<unknown>>();
  const commit = createGroupCommit();
  let nextSeq = 1;
  let started = false;
  let stopping = false;
  let detached = false;
  let pumpQueued = false;
  let timer: NodeJS.Timeout | undefined;

  const pathOf = (seq: number) => join(dir, `${String(seq).padStart(12, '0')}.json`);

  const persist = async (item: QueueItem<T>): Promise<void> => {
    if (detached) return;
    await commit.write(pathOf(item.seq), JSON.stringify(item));
  };

  const remove = async (item: QueueItem<T>): Promise<void> => {
    if (detached) return;
    await commit.remove(pathOf(item.seq));
  };

  const emit = (event: QueueEvent<T>): void => {
    try {
      onEvent?.(event);
    } catch {
      // A listener's failure must not break the queue.
    }
  };

  /** Adds a committed item to its group, in sequence order (almost always at the end). */
  const place = (item: QueueItem<T>): void => {
    byId.set(item.id, item);
    let ids = groups.get(item.groupId);
    if (ids === undefined) {
      ids = [];
      groups.set(item.groupId, ids);
    }
    let at = ids.length;
    while (at > 0 && (byId.get(ids[at - 1] ?? '')?.seq ?? 0) > item.seq) at--;
    ids.splice(at, 0, item.id);
  };

  const unplace = (item: QueueItem<T>): void => {
    if (byId.get(item.id)?.seq === item.seq) byId.delete(item.id);
    const ids = groups.get(item.groupId);
    if (ids === undefined) return;
    const at = ids.indexOf(item.id);
    if (at >= 0) ids.splice(at, 1);
    if (ids.length === 0) groups.delete(item.groupId);
  };

  const ordered = (): QueueItem<T>[] => [...byId.values()].sort((a, b) => a.seq - b.seq);

  /** The message each idle group would run next, oldest first. */
  const heads = (): QueueItem<T>[] => {
    const out: QueueItem<T>[] = [];
    for (const [groupId, ids] of groups) {
      if (running.has(groupId)) continue;
      for (const id of ids) {
        const item = byId.get(id);
        if (item !== undefined && item.state !== 'dead') {
          out.push(item);
          break;
        }
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
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

  /** One pump for a whole committed batch of enqueues rather than one per message. */
  const schedulePump = (): void => {
    if (pumpQueued) return;
    pumpQueued = true;
    queueMicrotask(() => {
      pumpQueued = false;
      pump();
    });
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
      // The group goes on at once; the file goes once `settle` is durable.
      unplace(item);
      const tail = (async () => {
        try {
          await settle?.(item);
        } catch {
          return;
        }
        // Not waiting for the directory fsync: a removal a power loss undoes only runs the message once more.
        await remove(item).catch(() => undefined);
        emit({ type: 'succeeded', item });
      })();
      tails.add(tail);
      tail.then(() => tails.delete(tail));
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
    await removeStaleTemps(dir);
    const names = (await readdir(dir)).filter((n) => FILE.test(n)).sort();
    for (const name of names) {
      const parsed = fileSchema.safeParse(JSON.parse(await readFile(join(dir, name), 'utf8')));
      if (!parsed.success) throw new Error(`Queue file ${join(dir, name)} is malformed: ${parsed.error.message}`);
      const raw = parsed.data;
      let item: QueueItem<T> = { ...raw, body: decode(raw.body) };
      nextSeq = Math.max(nextSeq, item.seq + 1);
      const older = byId.get(item.id);
      // A crash during a redrive can leave two files for one id: the newer one wins.
      if (older !== undefined) {
        unplace(older);
        await rm(pathOf(older.seq), { force: true });
      }
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
      place(item);
    }
  };

  /**
   * Admission without a lock: the checks and the sequence number are taken synchronously, in arrival order; the
   * file joins the current group commit; the message becomes visible to the workers once its batch is durable.
   */
  const admit = <R>(id: string, work: Promise<R>): Promise<R> => {
    pending.set(id, work);
    const forget = () => {
      if (pending.get(id) === work) pending.delete(id);
    };
    work.then(forget, forget);
    return work;
  };

  const enqueue = (message: QueueMessage<T>): Promise<'queued' | 'duplicate'> => {
    if (stopping) return Promise.reject(new Error('The queue is stopping; the message was not accepted.'));
    const inFlight = pending.get(message.id);
    // The same id is being committed: answer once that settles (duplicate, or try again if it failed).
    if (inFlight !== undefined)
      return inFlight.then(
        () => enqueue(message),
        () => enqueue(message),
      );
    const existing = byId.get(message.id);
    if (existing !== undefined && existing.state !== 'dead') return Promise.resolve('duplicate');
    const t = now();
    const item: QueueItem<T> = {
      ...message,
      seq: nextSeq++,
      state: 'queued',
      attempts: 0,
      enqueuedAt: t,
      notBefore: t,
    };
    return admit(
      message.id,
      (async () => {
        await persist(item);
        // Placed right after the commit, before any other await: the messages of one batch are placed in
        // sequence order (their continuations run in the order the batch resolved them), so FIFO holds.
        if (existing !== undefined) unplace(existing);
        place(item);
        emit({ type: 'enqueued', item });
        schedulePump();
        if (existing !== undefined) await remove(existing);
        return 'queued' as const;
      })(),
    );
  };

  const redrive = (id: string): Promise<boolean> => {
    const inFlight = pending.get(id);
    if (inFlight !== undefined)
      return inFlight.then(
        () => redrive(id),
        () => redrive(id),
      );
    const dead = byId.get(id);
    if (dead === undefined || dead.state !== 'dead') return Promise.resolve(false);
    const item: QueueItem<T> = {
      ...dead,
      seq: nextSeq++,
      state: 'queued',
      attempts: 0,
      notBefore: now(),
      lastError: undefined,
    };
    return admit(
      id,
      (async () => {
        await persist(item);
        unplace(dead);
        place(item);
        emit({ type: 'redriven', item });
        schedulePump();
        await remove(dead);
        return true;
      })(),
    );
  };

  return {
    async start() {
      if (started) return;
      await load();
      started = true;
      pump();
    },

    enqueue,
    redrive,

    items: ordered,

    get: (id) => byId.get(id),

    async stop(graceMs = 5000) {
      stopping = true;
      if (timer !== undefined) clearTimeout(timer);
      while (pending.size > 0) await Promise.allSettled([...pending.values()]);
      let graceTimer: NodeJS.Timeout | undefined;
      const settled = async () => {
        while (running.size > 0 || tails.size > 0) await Promise.allSettled([...running.values(), ...tails]);
        return true;
      };
      const finished = await Promise.race([
        settled(),
        new Promise<boolean>((resolve) => {
          graceTimer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(graceTimer);
      detached = true;
      await commit.idle();
      return finished ? 0 : running.size;
    },
  };
}
