/**
 * What the page shows and replay reads: one record per delivery the local bridge accepted (status, attempts,
 * headers without the signature, the actions, every Discord request with its answer, errors) plus its raw body.
 *
 * On disk: `<dir>/<delivery id>.json` (the record, rewritten atomically on each change, writes coalesced)
 * and `<dir>/<delivery id>.body` (the payload exactly as GitHub sent it, written once). Delivery ids are
 * `[\w-]{1,100}` (ingest refuses anything else), so they are safe file names.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Action, Envelope } from '../lambdas/core/types';
import { writeFileAtomic } from './queue';

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
  /** Reads the records on disk. */
  load(): Promise<void>;
  /** Stores a new record (or replaces one with the same id) and its body; resolves once both are durable. */
  add(record: DeliveryRecord, body: string): Promise<void>;
  /** Changes a record in memory at once; the file follows (coalesced). No-op for an unknown id. */
  update(id: string, change: (record: DeliveryRecord) => DeliveryRecord): void;
  get(id: string): DeliveryRecord | undefined;
  /** Newest first. */
  list(limit?: number): readonly DeliveryRecord[];
  /** The raw body as received, when stored. */
  body(id: string): Promise<string | undefined>;
  /** Increases on every change (lets the page skip re-rendering). */
  version(): number;
  /** Waits for the pending writes. */
  flush(): Promise<void>;
}

export function createHistory({ dir, now = Date.now }: { readonly dir: string; readonly now?: () => number }): History {
  const records = new Map<string, DeliveryRecord>();
  const writing = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  let changes = 0;

  const recordPath = (id: string) => join(dir, `${id}.json`);
  const bodyPath = (id: string) => join(dir, `${id}.body`);

  const write = (id: string): Promise<void> => {
    const current = writing.get(id);
    if (current !== undefined) {
      dirty.add(id);
      return current;
    }
    const run = (async () => {
      do {
        dirty.delete(id);
        const record = records.get(id);
        if (record === undefined) return;
        await writeFileAtomic(recordPath(id), JSON.stringify(record));
      } while (dirty.has(id));
    })().finally(() => writing.delete(id));
    writing.set(id, run);
    return run;
  };

  return {
    async load() {
      await mkdir(dir, { recursive: true });
      for (const name of await readdir(dir)) {
        if (!name.endsWith('.json')) continue;
        const parsed = recordSchema.safeParse(JSON.parse(await readFile(join(dir, name), 'utf8')));
        if (parsed.success) records.set(parsed.data.id, parsed.data);
      }
      changes++;
    },

    async add(record, body) {
      await mkdir(dir, { recursive: true });
      await writeFileAtomic(bodyPath(record.id), body);
      records.set(record.id, record);
      changes++;
      await write(record.id);
    },

    update(id, change) {
      const record = records.get(id);
      if (record === undefined) return;
      records.set(id, { ...change(record), updatedAt: now() });
      changes++;
      write(id).catch(() => undefined);
    },

    get: (id) => records.get(id),

    list(limit = Number.POSITIVE_INFINITY) {
      return [...records.values()]
        .sort((a, b) => b.receivedAt - a.receivedAt || b.id.localeCompare(a.id))
        .slice(0, limit);
    },

    async body(id) {
      if (!/^[\w-]{1,120}$/.test(id)) return undefined;
      try {
        return await readFile(bodyPath(id), 'utf8');
      } catch {
        return undefined;
      }
    },

    version: () => changes,

    async flush() {
      while (writing.size > 0) await Promise.allSettled([...writing.values()]);
    },
  };
}
