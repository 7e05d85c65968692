/**
 * What the page shows and replay reads: one record per delivery the local bridge accepted (status, attempts,
 * headers without the signature, the actions, every Discord request with its answer, errors) plus its raw body.
 *
 * On disk: `<dir>/<delivery id>.json` (the record, rewritten atomically on each change, writes coalesced)
 * and `<dir>/<delivery id>.body` (the payload exactly as GitHub sent it, written once). Delivery ids are
 * `[\w-]{1,100}` (ingest refuses anything else), so they are safe file names.
 *
 * Durability: this is the page's and replay's view, not the work. While a delivery is in the queue, its queue
 * message (fsynced before the 202) holds the envelope, body and headers; the record and body here are written
 * without waiting for the disk (they survive the process dying, and are rebuilt from the queue otherwise). Once
 * the delivery is processed, `sync` makes both durable before the queue forgets the message. Deliveries that
 * never reach the queue (ignored at ingest) are stored durably by `add`.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Action, Envelope } from '../lambdas/core/types';
import { createGroupCommit, removeStaleTemps, writeFileLazy } from './queue';

export type DeliveryStatus = 'queued' | 'running' | 'retrying' | 'done' | 'duplicate' | 'ignored' | 'dead';

/** One Discord request made while processing a delivery, with its answer. */
export interface DiscordCall {
  readonly at: number;
  readonly attempt: number;
  /** The DiscordPort operation, e.g. `createMessage`. */
  readonly operation: string;
  readonly request: unknown;
  readonly ok: boolean;
  readonly response?: unknown;
  readonly error?: string;
  readonly ms: number;
}

export interface DeliveryError {
  readonly at: number;
  readonly attempt: number;
  readonly message: string;
}

/** The envelope without its body (kept in the `.body` file). */
export type EnvelopeMeta = Omit<Envelope, 'body' | 'bodyRef'>;

export interface DeliveryRecord {
  readonly id: string;
  readonly event: string;
  readonly action?: string;
  readonly repository?: string;
  readonly prNumber?: number;
  readonly receivedAt: number;
  readonly updatedAt: number;
  /** Request headers, lower-case, without the signature. */
  readonly headers: Readonly<Record<string, string>>;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** Why it was ignored, or the last error. */
  readonly reason?: string;
  /** The delivery this one replays. */
  readonly replayOf?: string;
  /** Absent for deliveries ignored at ingest (they never reached the queue). */
  readonly envelope?: EnvelopeMeta;
  readonly actions: readonly Action[];
  readonly discord: readonly DiscordCall[];
  readonly errors: readonly DeliveryError[];
}

const SIGNATURE_HEADERS = new Set(['x-hub-signature', 'x-hub-signature-256']);

/** Lower-cased headers without the signatures (never stored, never shown). */
export function safeHeaders(headers: Readonly<Record<string, string | readonly string[] | undefined>>) {
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (SIGNATURE_HEADERS.has(key) || raw === undefined) continue;
    out[key] = typeof raw === 'string' ? raw : raw.join(', ');
  }
  return out;
}

function envelopeMeta(envelope: Envelope): EnvelopeMeta {
  const { body: _body, bodyRef: _bodyRef, ...meta } = envelope;
  return meta;
}

/** A fresh record for an envelope about to be queued. */
export function recordFor(
  envelope: Envelope,
  headers: Readonly<Record<string, string>>,
  replayOf?: string,
): DeliveryRecord {
  return {
    id: envelope.deliveryId,
    event: envelope.event,
    ...(envelope.action === undefined ? {} : { action: envelope.action }),
    repository: envelope.repository,
    ...(envelope.prNumber === undefined ? {} : { prNumber: envelope.prNumber }),
    receivedAt: envelope.receivedAt,
    updatedAt: envelope.receivedAt,
    headers,
    status: 'queued',
    attempts: 0,
    ...(replayOf === undefined ? {} : { replayOf }),
    envelope: envelopeMeta(envelope),
    actions: [],
    discord: [],
    errors: [],
  };
}

const recordSchema = z.object({
  id: z.string().regex(/^[\w-]{1,120}$/),
  event: z.string(),
  action: z.string().optional(),
  repository: z.string().optional(),
  prNumber: z.number().optional(),
  receivedAt: z.number(),
  updatedAt: z.number(),
  headers: z.record(z.string(), z.string()),
  status: z.enum(['queued', 'running', 'retrying', 'done', 'duplicate', 'ignored', 'dead']),
  attempts: z.number(),
  reason: z.string().optional(),
  replayOf: z.string().optional(),
  envelope: z
    .object({
      v: z.literal(1),
      deliveryId: z.string(),
      event: z.string(),
      action: z.string().optional(),
      repositoryId: z.number(),
      repository: z.string(),
      prNumber: z.number().optional(),
      groupId: z.string(),
      receivedAt: z.number(),
    })
    .optional(),
  // Actions and Discord calls are our own output, written by this module: kept as stored.
  actions: z.array(z.custom<Action>((v) => typeof v === 'object' && v !== null)),
  discord: z.array(
    z.object({
      at: z.number(),
      attempt: z.number(),
      operation: z.string(),
      request: z.unknown(),
      ok: z.boolean(),
      response: z.unknown().optional(),
      error: z.string().optional(),
      ms: z.number(),
    }),
  ),
  errors: z.array(z.object({ at: z.number(), attempt: z.number(), message: z.string() })),
});

export interface History {
  /** Reads the records on disk (a record a crash left unreadable is skipped: the queue still holds its work). */
  load(): Promise<void>;
  /**
   * Stores a new record (or replaces one with the same id) and its body. `durable` (the default): resolves once
   * both are fsynced (group-committed with other writes). `durable: false`: in memory at once, on disk shortly
   * after without waiting for the disk — for a delivery whose queue message holds the body durably.
   */
  add(record: DeliveryRecord, body: string, options?: { readonly durable?: boolean }): Promise<void>;
  /** Changes a record in memory at once; the file follows (coalesced, not fsynced). No-op for an unknown id. */
  update(id: string, change: (record: DeliveryRecord) => DeliveryRecord): void;
  /**
   * Makes the record and body of `id` durable (fsynced), as they are now; `body` (the expected content) rewrites
   * the body file should it be missing or incomplete (a write lost to a power cut).
   */
  sync(id: string, body?: string): Promise<void>;
  get(id: string): DeliveryRecord | undefined;
  /** Newest first. */
  list(limit?: number): readonly DeliveryRecord[];
  /** The raw body as received, when stored. */
  body(id: string): Promise<string | undefined>;
  /** Increases on every change (lets the page skip re-rendering). */
  version(): number;
  /** Writes every changed record durably and waits for the pending writes. */
  flush(): Promise<void>;
}

/**
 * How long record changes are gathered before they are written. The page reads the records in memory; the files
 * matter after a restart only, and a delivery processed within this time is written once, by `sync`.
 */
const LAZY_WRITE_MS = 1000;

export function createHistory({ dir, now = Date.now }: { readonly dir: string; readonly now?: () => number }): History {
  const records = new Map<string, DeliveryRecord>();
  /** Per id, the file operations in order (a body before its fsync, one record write after another). */
  const chains = new Map<string, Promise<void>>();
  /** Records changed since their file was last written. */
  const dirty = new Set<string>();
  /** Bodies known to be fsynced. */
  const syncedBodies = new Set<string>();
  const commit = createGroupCommit();
  let lazyTimer: NodeJS.Timeout | undefined;
  let changes = 0;
  let made: Promise<unknown> | undefined;
  const ensureDir = () => {
    made ??= mkdir(dir, { recursive: true });
    return made;
  };

  const recordPath = (id: string) => join(dir, `${id}.json`);
  const bodyPath = (id: string) => join(dir, `${id}.body`);

  const chain = (id: string, op: () => Promise<void>): Promise<void> => {
    const run = (chains.get(id) ?? Promise.resolve()).then(op, op);
    chains.set(id, run);
    const forget = () => {
      if (chains.get(id) === run) chains.delete(id);
    };
    run.then(forget, forget);
    return run;
  };

  /** The current record as JSON, clearing its dirty mark; undefined when there is nothing to write. */
  const take = (id: string): string | undefined => {
    dirty.delete(id);
    const record = records.get(id);
    return record === undefined ? undefined : JSON.stringify(record);
  };

  const writeDirty = (): void => {
    lazyTimer = undefined;
    for (const id of [...dirty]) {
      chain(id, async () => {
        if (!dirty.has(id)) return;
        const data = take(id);
        if (data !== undefined) await writeFileLazy(recordPath(id), data);
      }).catch(() => undefined);
    }
  };

  const markDirty = (id: string): void => {
    dirty.add(id);
    if (lazyTimer === undefined) {
      lazyTimer = setTimeout(writeDirty, LAZY_WRITE_MS);
      lazyTimer.unref();
    }
  };

  const syncNow = (id: string, body?: string): Promise<void> =>
    chain(id, async () => {
      const data = take(id);
      const writes: Promise<void>[] = [];
      if (data !== undefined) writes.push(commit.write(recordPath(id), data));
      if (!syncedBodies.has(id)) {
        // The body was written without waiting for the disk: fsync it (or write it again if it is not all there).
        const bytes = body === undefined ? undefined : Buffer.byteLength(body);
        writes.push(
          commit.sync(bodyPath(id), bytes).catch((err: unknown) => {
            if (body === undefined) throw err;
            return commit.write(bodyPath(id), body);
          }),
        );
      }
      await Promise.all(writes);
      syncedBodies.add(id);
    });

  return {
    async load() {
      await ensureDir();
      await removeStaleTemps(dir);
      for (const name of await readdir(dir)) {
        if (!name.endsWith('.json')) continue;
        let raw: unknown;
        try {
          raw = JSON.parse(await readFile(join(dir, name), 'utf8'));
        } catch {
          continue;
        }
        const parsed = recordSchema.safeParse(raw);
        if (parsed.success) records.set(parsed.data.id, parsed.data);
      }
      changes++;
    },

    async add(record, body, { durable = true } = {}) {
      const id = record.id;
      records.set(id, record);
      changes++;
      syncedBodies.delete(id);
      if (durable) {
        await chain(id, async () => {
          await ensureDir();
          const data = take(id) ?? JSON.stringify(record);
          await Promise.all([commit.write(bodyPath(id), body), commit.write(recordPath(id), data)]);
          syncedBodies.add(id);
        });
        return;
      }
      chain(id, async () => {
        await ensureDir();
        await writeFileLazy(bodyPath(id), body);
      }).catch(() => undefined);
      markDirty(id);
    },

    update(id, change) {
      const record = records.get(id);
      if (record === undefined) return;
      records.set(id, { ...change(record), updatedAt: now() });
      changes++;
      markDirty(id);
    },

    sync: syncNow,

    get: (id) => records.get(id),

    list(limit = Number.POSITIVE_INFINITY) {
      return [...records.values()]
        .sort((a, b) => b.receivedAt - a.receivedAt || b.id.localeCompare(a.id))
        .slice(0, limit);
    },

    async body(id) {
      if (!/^[\w-]{1,120}$/.test(id)) return undefined;
      // A body written a moment ago may still be on its way to the file.
      await chains.get(id)?.catch(() => undefined);
      try {
        return await readFile(bodyPath(id), 'utf8');
      } catch {
        return undefined;
      }
    },

    version: () => changes,

    async flush() {
      if (lazyTimer !== undefined) {
        clearTimeout(lazyTimer);
        lazyTimer = undefined;
      }
      await Promise.allSettled(
        [...dirty].map((id) =>
          chain(id, async () => {
            const data = take(id);
            if (data !== undefined) await commit.write(recordPath(id), data);
          }),
        ),
      );
      while (chains.size > 0) await Promise.allSettled([...chains.values()]);
      await commit.idle();
    },
  };
}
