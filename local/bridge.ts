/**
 * The whole bridge in one process: the HTTP server (ingest through `acceptWebhook`, the page), the persisted
 * FIFO queue in place of SNS/SQS, and the worker runtime (`processEnvelope` with the Lambda's adapters).
 * `startBridge` / `stop` is the API of `main.ts` and of the end-to-end tests.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnvelope } from '../lambdas/core/envelope';
import { isRetryable } from '../lambdas/core/errors';
import { acceptWebhook, type WebhookResponse, withFields } from '../lambdas/core/ingest';
import { type Log, type MetricsSink, noMetrics, type Publisher } from '../lambdas/core/ports';
import { planEnvelope, processEnvelope } from '../lambdas/core/process';
import type { Envelope, Plan } from '../lambdas/core/types';
import { EnvError, errorCode, type LocalEnv } from './env';
import {
  createHistory,
  type DeliveryRecord,
  type DeliveryStatus,
  type History,
  recordFor,
  safeHeaders,
} from './history';
import { createQueue, type Queue, type QueueEvent, type QueueItem } from './queue';
import { describeError } from './recording-discord';
import { type Runtime, startRuntime } from './runtime';
import { startServer } from './server';

/** GitHub sends at most 25 MB. */
export const MAX_BODY_BYTES = 25 * 1024 * 1024;

/** What the local queue carries: the envelope, plus the request headers for the page and replay. */
export interface QueuedDelivery {
  readonly envelope: Envelope;
  readonly headers: Readonly<Record<string, string>>;
  readonly replayOf?: string;
}

function decodeQueued(raw: unknown): QueuedDelivery {
  if (typeof raw !== 'object' || raw === null || !('envelope' in raw) || !('headers' in raw)) {
    throw new Error('Queue message has no envelope.');
  }
  const envelope = parseEnvelope(JSON.stringify(raw.envelope));
  const headers = safeHeaders(
    typeof raw.headers === 'object' && raw.headers !== null
      ? Object.fromEntries(Object.entries(raw.headers).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : {},
  );
  const replayOf = 'replayOf' in raw && typeof raw.replayOf === 'string' ? raw.replayOf : undefined;
  return { envelope, headers, ...(replayOf === undefined ? {} : { replayOf }) };
}

export interface BridgeOptions {
  readonly env: LocalEnv;
  readonly log: Log;
  readonly metrics?: MetricsSink;
  /** Queue timings (tests use small ones). */
  readonly queue?: {
    readonly baseDelayMs?: number;
    readonly maxDelayMs?: number;
    readonly concurrency?: number;
    readonly maxAttempts?: number;
  };
  /** How long `stop` waits for attempts in flight. @default 5000 */
  readonly graceMs?: number;
  readonly leaseMs?: number;
  readonly now?: () => number;
}

export type SecretSource = 'env' | 'generated' | 'stored';

export interface ReplayResult {
  readonly deliveryId: string;
  readonly replayOf: string;
  readonly dryRun: boolean;
  /** Dry run: what would happen. */
  readonly plan?: Plan;
  /** Real run: the delivery's record once it settled (or as far as it got). */
  readonly record?: DeliveryRecord;
}

export interface Bridge {
  /** e.g. `http://127.0.0.1:3000` */
  readonly url: string;
  readonly port: number;
  readonly secret: string;
  readonly secretSource: SecretSource;
  readonly secretFile: string;
  readonly runtime: Runtime;
  readonly queue: Queue<QueuedDelivery>;
  readonly history: History;
  /** Runs a signed webhook request through ingest into the queue. */
  acceptWebhook(headers: Readonly<Record<string, string | undefined>>, body: Uint8Array): Promise<WebhookResponse>;
  /** Re-runs `envelope` under a fresh delivery id (through the queue), or plans it (`dryRun`). */
  replay(envelope: Envelope, options: { readonly dryRun: boolean; readonly waitMs?: number }): Promise<ReplayResult>;
  /** Requests refused at ingest since the start, and the last reason. */
  rejections(): { readonly count: number; readonly last?: string };
  stop(): Promise<void>;
}

const TERMINAL: ReadonlySet<DeliveryStatus> = new Set(['done', 'duplicate', 'ignored', 'dead']);

/** The webhook secret: from the environment, else the one generated on the first start (kept in the data dir). */
async function webhookSecret(env: LocalEnv): Promise<{ secret: string; source: SecretSource; file: string }> {
  const file = join(env.dataDir, 'webhook-secret');
  if (env.webhookSecret !== undefined) return { secret: env.webhookSecret, source: 'env', file };
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length > 0) return { secret: stored, source: 'stored', file };
  } catch {
    // Not generated yet.
  }
  const secret = randomBytes(24).toString('hex');
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const code = errorCode(err) ?? 'error';
    throw new EnvError(`DATA_DIR ${env.dataDir}: the webhook secret could not be stored (${code}).`);
  }
  return { secret, source: 'generated', file };
}

/** A fresh delivery id for a replay of `id` (still `[\w-]`, ≤ 100 characters). */
export function replayId(id: string, now: number): string {
  const base = id.replace(/-replay-[0-9a-z]+$/, '').slice(0, 70);
  return `${base}-replay-${now.toString(36)}${randomBytes(2).toString('hex')}`;
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const { env, log } = options;
  const metrics = options.metrics ?? noMetrics;
  const now = options.now ?? Date.now;
  const history = createHistory({ dir: join(env.dataDir, 'deliveries'), now });
  const runtime = await startRuntime({
    env,
    log,
    metrics,
    now,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    onDiscordCall: (context, call) =>
      history.update(context.deliveryId, (r) => ({ ...r, discord: [...r.discord, call] })),
  });
  const cleanup: (() => Promise<unknown>)[] = [() => runtime.close()];
  const close = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };

  try {
    const { secret, source: secretSource, file: secretFile } = await webhookSecret(env);
    await history.load();
    const leaseMs = runtime.deps.leaseMs;

    const handle = async (item: QueueItem<QueuedDelivery>): Promise<void> => {
      const { envelope, headers, replayOf } = item.body;
      const id = envelope.deliveryId;
      if (history.get(id) === undefined) {
        await history.add(recordFor(envelope, headers, replayOf), envelope.body ?? '', { durable: false });
      }
      history.update(id, (r) => ({ ...r, status: 'running', attempts: item.attempts }));
      const deps = { ...runtime.deps, log: withFields(log, { deliveryId: id, groupId: envelope.groupId }) };
      const result = await runtime.recorder.run({ deliveryId: id, attempt: item.attempts }, () =>
        processEnvelope(envelope, deps, { attempt: item.attempts }),
      );
      history.update(id, (r) => ({
        ...r,
        // A delivery recorded as done whose queue message survived a crash comes back as a duplicate: still done.
        status: result.status === 'duplicate' && r.status === 'done' ? 'done' : result.status,
        ...(result.reason === undefined ? {} : { reason: result.reason }),
        actions: result.status === 'duplicate' ? r.actions : result.actions,
      }));
    };

    const onEvent = (event: QueueEvent<QueuedDelivery>): void => {
      const id = event.item.id;
      if (event.type === 'retrying' || event.type === 'dead') {
        const message = describeError(event.error);
        history.update(id, (r) => ({
          ...r,
          status: event.type === 'dead' ? 'dead' : 'retrying',
          attempts: event.item.attempts,
          reason: message,
          errors: [...r.errors, { at: now(), attempt: event.item.attempts, message }],
        }));
        log.warn(event.type === 'dead' ? 'delivery dead-lettered' : 'delivery failed, will retry', {
          deliveryId: id,
          attempts: event.item.attempts,
          error: message,
          ...(event.type === 'retrying' ? { retryAt: new Date(event.item.notBefore).toISOString() } : {}),
        });
      } else if (event.type === 'redriven') {
        history.update(id, (r) => ({ ...r, status: 'queued', attempts: 0 }));
      }
    };

    const queue = createQueue<QueuedDelivery>({
      dir: join(env.dataDir, 'queue'),
      handler: handle,
      // The record and body are durable before the queue forgets the message (it held them until now).
      settle: (item) => history.sync(item.id, item.body.envelope.body),
      decode: decodeQueued,
      isRetryable,
      onEvent,
      interruptedDelayMs: leaseMs,
      now,
      ...options.queue,
    });
    await queue.start();
    cleanup.push(() => queue.stop(options.graceMs ?? 5000));

    // Queue messages whose record did not reach the disk (records are written without waiting for it): the page
    // shows them again.
    for (const item of queue.items()) {
      if (history.get(item.id) !== undefined) continue;
      const { envelope, headers, replayOf } = item.body;
      await history.add(recordFor(envelope, headers, replayOf), envelope.body ?? '', { durable: false });
    }
    // Records left "in the queue" whose message never made it there (the process stopped between the two writes):
    // queue them now, so nothing received is lost.
    for (const record of history.list()) {
      if (TERMINAL.has(record.status) || queue.get(record.id) !== undefined || record.envelope === undefined) continue;
      const body = await history.body(record.id);
      if (body === undefined) continue;
      const envelope: Envelope = { ...record.envelope, body };
      await queue.enqueue({
        id: record.id,
        groupId: envelope.groupId,
        body: { envelope, headers: record.headers, ...(record.replayOf ? { replayOf: record.replayOf } : {}) },
      });
    }

    const publisherFor = (headers: Readonly<Record<string, string>>, replayOf?: string): Publisher => ({
      async publish(envelope) {
        const existing = history.get(envelope.deliveryId);
        const queued = queue.get(envelope.deliveryId);
        if (existing !== undefined && queued !== undefined && queued.state !== 'dead') return;
        // The page's record follows without waiting for the disk; the queue message (durable before the 202)
        // carries everything needed to process the delivery and to rebuild the record.
        await history.add(recordFor(envelope, headers, replayOf), envelope.body ?? '', { durable: false });
        await queue.enqueue({
          id: envelope.deliveryId,
          groupId: envelope.groupId,
          body: { envelope, headers, ...(replayOf === undefined ? {} : { replayOf }) },
        });
      },
    });

    let rejected = 0;
    let lastRejection: string | undefined;

    const accept = async (
      rawHeaders: Readonly<Record<string, string | undefined>>,
      body: Uint8Array,
    ): Promise<WebhookResponse> => {
      const headers = safeHeaders(rawHeaders);
      const answer = await acceptWebhook(
        { headers: rawHeaders, body },
        {
          secrets: async () => [secret],
          publisher: publisherFor(headers),
          maxBodyBytes: MAX_BODY_BYTES,
          log,
          metrics,
          now,
        },
      );
      if (answer.status >= 400) {
        rejected++;
        lastRejection = `${answer.status} ${String(answer.body['error'] ?? '')}`;
      } else if (answer.body['ignored'] === true) {
        const id = headers['x-github-delivery'];
        if (id !== undefined && /^[\w-]{1,100}$/.test(id)) {
          const t = now();
          await history.add(
            {
              id,
              event: headers['x-github-event'] ?? 'unknown',
              receivedAt: t,
              updatedAt: t,
              headers,
              status: 'ignored',
              attempts: 0,
              reason: String(answer.body['reason'] ?? 'not an event the bridge handles'),
              actions: [],
              discord: [],
              errors: [],
            },
            Buffer.from(body).toString('utf8'),
          );
        }
      }
      return answer;
    };

    const waitSettled = async (id: string, waitMs: number): Promise<DeliveryRecord | undefined> => {
      const deadline = now() + waitMs;
      for (;;) {
        const record = history.get(id);
        if (record === undefined || TERMINAL.has(record.status) || now() > deadline) return record;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };

    const replay: Bridge['replay'] = async (original, { dryRun, waitMs = 30_000 }) => {
      const envelope: Envelope = { ...original, deliveryId: replayId(original.deliveryId, now()), receivedAt: now() };
      const base = { deliveryId: envelope.deliveryId, replayOf: original.deliveryId, dryRun };
      if (dryRun) {
        const plan = await planEnvelope(envelope, {
          ...runtime.deps,
          log: withFields(log, { deliveryId: envelope.deliveryId, dryRun: true }),
        });
        return { ...base, plan };
      }
      const headers = history.get(original.deliveryId)?.headers ?? {
        'x-github-event': envelope.event,
        'x-github-delivery': original.deliveryId,
      };
      await publisherFor(headers, original.deliveryId).publish(envelope);
      const record = await waitSettled(envelope.deliveryId, waitMs);
      return { ...base, ...(record === undefined ? {} : { record }) };
    };

    const server = await startServer({
      host: env.host,
      port: env.port,
      log,
      maxBodyBytes: MAX_BODY_BYTES,
      bridge: {
        accept,
        history,
        queue,
        runtime,
        secret,
        rejections: () => ({ count: rejected, ...(lastRejection === undefined ? {} : { last: lastRejection }) }),
        replay,
      },
    });
    cleanup.push(() => server.close());
    await runtime.lock.setUrl(server.url);

    return {
      url: server.url,
      port: server.port,
      secret,
      secretSource,
      secretFile,
      runtime,
      queue,
      history,
      acceptWebhook: accept,
      replay,
      rejections: () => ({ count: rejected, ...(lastRejection === undefined ? {} : { last: lastRejection }) }),
      async stop() {
        await close();
        await history.flush();
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
