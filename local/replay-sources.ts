/**
 * Where `npm run replay` finds deliveries. Each source yields envelopes with their body inline; the command
 * does not care which one it reads:
 * - the local data directory (deliveries the local bridge received), by id or the last N;
 * - recorded files of `{ headers, body }` (the fixture format; `--save` writes it);
 * - the deployed stack's archive (`--from-aws`, through `archive-source.ts`).
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { acceptWebhook } from '../lambdas/core/ingest';
import { noMetrics, silentLog } from '../lambdas/core/ports';
import { sign } from '../lambdas/core/signature';
import type { Envelope } from '../lambdas/core/types';
import { MAX_BODY_BYTES } from './bridge';
import { createHistory, type DeliveryRecord } from './history';
import { readDeliveryFile } from './samples';

export interface ReplaySource {
  /** For messages, e.g. `data directory /x/.data`. */
  readonly description: string;
  /** Envelopes in the order to replay them. */
  envelopes(): AsyncIterable<Envelope>;
}

/** A source could not provide what was asked (unknown id, unreadable file); one sentence. */
export class ReplaySourceError extends Error {
  override readonly name = 'ReplaySourceError';
}

async function loadHistory(dataDir: string) {
  const history = createHistory({ dir: join(dataDir, 'deliveries') });
  await history.load();
  return history;
}

/** Deliveries from the local data directory: the given ids, or the last `last` GitHub deliveries (not replays). */
export function dataDirSource(
  dataDir: string,
  pick: { readonly ids: readonly string[] } | { readonly last: number },
): ReplaySource {
  return {
    description: `data directory ${dataDir}`,
    async *envelopes() {
      const history = await loadHistory(dataDir);
      let records: DeliveryRecord[];
      if ('ids' in pick) {
        records = pick.ids.map((id) => {
          const record = history.get(id);
          if (record === undefined) throw new ReplaySourceError(`No delivery ${id} in ${dataDir}.`);
          return record;
        });
      } else {
        records = history
          .list()
          .filter((r) => r.envelope !== undefined && r.replayOf === undefined)
          .slice(0, pick.last)
          .reverse();
      }
      for (const record of records) {
        if (record.envelope === undefined) {
          throw new ReplaySourceError(`Delivery ${record.id} was ignored at ingest (${record.reason ?? 'no reason'}).`);
        }
        const body = await history.body(record.id);
        if (body === undefined) throw new ReplaySourceError(`The body of delivery ${record.id} is missing.`);
        yield { ...record.envelope, body };
      }
    },
  };
}

/**
 * The envelope ingest would publish for a recorded request: the request goes through `acceptWebhook` itself
 * (signed here with a throwaway secret, since files keep no signature), so classification is the real one.
 */
export async function envelopeFromRequest(
  headers: Readonly<Record<string, string>>,
  body: string,
  now: () => number = Date.now,
): Promise<Envelope> {
  const secret = randomBytes(16).toString('hex');
  const bytes = Buffer.from(body, 'utf8');
  let published: Envelope | undefined;
  const answer = await acceptWebhook(
    { headers: { ...headers, 'x-hub-signature-256': sign(secret, bytes) }, body: bytes },
    {
      secrets: async () => [secret],
      publisher: {
        async publish(envelope) {
          published = envelope;
        },
      },
      maxBodyBytes: MAX_BODY_BYTES,
      log: silentLog,
      metrics: noMetrics,
      now,
    },
  );
  if (published === undefined) {
    const reason = answer.body['reason'] ?? answer.body['error'] ?? `answer ${answer.status}`;
    throw new ReplaySourceError(`The bridge does not process this delivery: ${String(reason)}`);
  }
  return published;
}

/** Recorded files of `{ headers, body }`. */
export function fileSource(paths: readonly string[]): ReplaySource {
  return {
    description: paths.length === 1 ? `file ${paths[0]}` : `${paths.length} files`,
    async *envelopes() {
      for (const path of paths) {
        let request: ReturnType<typeof readDeliveryFile>;
        try {
          request = readDeliveryFile(path);
        } catch (err) {
          throw new ReplaySourceError(
            `${path} is not a recorded delivery ({ headers, body }): ${err instanceof Error ? err.message : String(err)}`,
          );
        }
        try {
          yield await envelopeFromRequest(request.headers, request.body);
        } catch (err) {
          if (err instanceof ReplaySourceError) throw new ReplaySourceError(`${path}: ${err.message}`);
          throw err;
        }
      }
    },
  };
}

/** Any async iterable of envelopes (the AWS archive); bodies travelling by claim check are fetched by `resolve`. */
export function envelopeSource(
  description: string,
  envelopes: () => AsyncIterable<Envelope>,
  resolve: (envelope: Envelope) => Promise<string>,
): ReplaySource {
  return {
    description,
    async *envelopes() {
      for await (const envelope of envelopes()) {
        if (envelope.body !== undefined) {
          yield envelope;
          continue;
        }
        const { bodyRef: _bodyRef, ...rest } = envelope;
        yield { ...rest, body: await resolve(envelope) };
      }
    },
  };
}

/** Writes delivery `id` of the data directory as a fixture: `{ headers: { x-github-* }, body }`. */
export async function saveDelivery(dataDir: string, id: string, path: string): Promise<void> {
  const history = await loadHistory(dataDir);
  const record = history.get(id);
  if (record === undefined) throw new ReplaySourceError(`No delivery ${id} in ${dataDir}.`);
  const body = await history.body(id);
  if (body === undefined) throw new ReplaySourceError(`The body of delivery ${id} is missing.`);
  const headers = Object.fromEntries(Object.entries(record.headers).filter(([name]) => name.startsWith('x-github-')));
  await writeFile(path, `${JSON.stringify({ headers, body }, null, 2)}\n`);
}
