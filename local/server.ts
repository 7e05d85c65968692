/**
 * The local HTTP server: `POST /webhooks/github` (ingest, the same `acceptWebhook` as the Lambda), `GET /healthz`,
 * the page (`/`, `/fragments/*`) and its small JSON API (`/api/*`).
 *
 * The page and the API answer only requests whose Host is the loopback (or the configured host), against DNS
 * rebinding; the API's POSTs require an `x-requested-by` header, which a cross-site form cannot send.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { parseEnvelope } from '../lambdas/core/envelope';
import type { WebhookResponse } from '../lambdas/core/ingest';
import type { Log } from '../lambdas/core/ports';
import type { Envelope } from '../lambdas/core/types';
import type { QueuedDelivery, ReplayResult } from './bridge';
import type { History } from './history';
import { type MentionNames, renderDeliveries, renderDelivery, renderDiscord, renderPage } from './page';
import type { Queue } from './queue';
import type { Runtime } from './runtime';
import { SAMPLES, type SampleTarget, sampleRequest } from './samples';

/** What the server needs from the bridge. */
export interface ServerBridge {
  accept(headers: Readonly<Record<string, string | undefined>>, body: Uint8Array): Promise<WebhookResponse>;
  readonly history: History;
  readonly queue: Queue<QueuedDelivery>;
  readonly runtime: Runtime;
  readonly secret: string;
  rejections(): { readonly count: number; readonly last?: string };
  replay(envelope: Envelope, options: { readonly dryRun: boolean; readonly waitMs?: number }): Promise<ReplayResult>;
}

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  readonly log: Log;
  readonly bridge: ServerBridge;
  /** Largest request body read. */
  readonly maxBodyBytes: number;
}

export interface LocalServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Sent by the page and the replay command on every POST to `/api`. */
export const API_HEADER = 'x-requested-by';
export const API_HEADER_VALUE = 'discord-pr-threads';
const PAGE_LIST_LIMIT = 200;
const API_BODY_LIMIT = 30 * 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function headerRecord(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.byteLength;
    if (size > limit) throw new HttpError(413, `The body is over the ${limit}-byte limit.`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...(type.startsWith('text/html')
      ? {
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        }
      : {}),
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
const sendHtml = (res: ServerResponse, html: string) => send(res, 200, 'text/html; charset=utf-8', html);

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

function hostAllowed(req: IncomingMessage, boundHost: string): boolean {
  if (WILDCARD.has(boundHost)) return true;
  const raw = req.headers.host;
  if (raw === undefined) return false;
  const hostname = raw.replace(/:\d+$/, '').toLowerCase();
  return LOOPBACK.has(hostname) || hostname === boundHost.toLowerCase();
}

const replayBody = z.object({ dryRun: z.boolean().default(false), wait: z.boolean().default(true) });
const apiReplayBody = z.object({ envelope: z.unknown(), dryRun: z.boolean().default(false) });

function jsonBody(buf: Buffer): unknown {
  if (buf.byteLength === 0) return {};
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HttpError(400, 'The body is not JSON.');
  }
}

export async function startServer(options: ServerOptions): Promise<LocalServer> {
  const { bridge, log } = options;
  const { history, queue, runtime } = bridge;
  let url = '';

  const names = (): MentionNames => {
    const users = new Map<string, string>();
    for (const [login, id] of Object.entries(runtime.config.users)) users.set(id, login);
    if (runtime.preview) users.set(runtime.preview.emulator.botUserId, 'PR Threads');
    return { users };
  };

  const listState = () => ({ records: history.list(PAGE_LIST_LIMIT), rejections: bridge.rejections() });
  const discordHtml = () => renderDiscord(runtime.preview?.emulator.snapshot(), names());

  const envelopeOf = async (id: string): Promise<Envelope> => {
    const record = history.get(id);
    if (record?.envelope === undefined) throw new HttpError(404, `No replayable delivery ${id}.`);
    const body = await history.body(id);
    if (body === undefined) throw new HttpError(404, `The body of delivery ${id} is not stored.`);
    return { ...record.envelope, body };
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://local.invalid').pathname;
    const query = new URL(req.url ?? '/', 'http://local.invalid').searchParams;

    if (path === '/webhooks/github') {
      if (method !== 'POST') throw new HttpError(405, 'POST a GitHub webhook delivery here.');
      const body = await readBody(req, options.maxBodyBytes + 1);
      const answer = await bridge.accept(headerRecord(req), body);
      sendJson(res, answer.status, answer.body);
      return;
    }
    if (path === '/healthz') {
      sendJson(res, 200, { ok: true });
      return;
    }
    if (!hostAllowed(req, options.host)) throw new HttpError(403, 'This page answers on the loopback address only.');

    if (method === 'GET') {
      if (path === '/') {
        sendHtml(
          res,
          renderPage({
            ...listState(),
            discordLine: runtime.describeDiscord,
            preview: runtime.preview !== undefined,
            discordHtml: discordHtml(),
          }),
        );
        return;
      }
      if (path === '/fragments/deliveries') return sendHtml(res, renderDeliveries(listState()));
      if (path === '/fragments/discord') return sendHtml(res, discordHtml());
      const fragment = /^\/fragments\/deliveries\/([\w-]{1,120})$/.exec(path);
      if (fragment) {
        return sendHtml(res, renderDelivery(history.get(fragment[1]), await history.body(fragment[1])));
      }
      if (path === '/api/deliveries') return sendJson(res, 200, history.list());
      const one = /^\/api\/deliveries\/([\w-]{1,120})$/.exec(path);
      if (one) {
        const record = history.get(one[1]);
        if (record === undefined) throw new HttpError(404, `Unknown delivery ${one[1]}.`);
        return sendJson(res, 200, { ...record, body: await history.body(one[1]) });
      }
      if (path === '/api/queue') return sendJson(res, 200, queue.items());
      if (path === '/api/discord') {
        if (!runtime.preview) throw new HttpError(404, 'The preview Discord is off (a real Discord is in use).');
        return sendJson(res, 200, runtime.preview.emulator.snapshot());
      }
      throw new HttpError(404, 'Not found.');
    }

    if (method !== 'POST') throw new HttpError(405, 'Method not allowed.');
    if (req.headers[API_HEADER] !== API_HEADER_VALUE) {
      throw new HttpError(403, `POSTs to the API need the header ${API_HEADER}: ${API_HEADER_VALUE}.`);
    }
    const sample = /^\/api\/samples\/([\w-]{1,40})$/.exec(path);
    if (sample) {
      if (!SAMPLES.some((s) => s.name === sample[1])) throw new HttpError(404, `Unknown sample ${sample[1]}.`);
      const target: SampleTarget = query.get('target') === 'forum' ? 'forum' : 'text';
      const request = sampleRequest(sample[1], bridge.secret, target);
      // Through the real endpoint, exactly as GitHub would deliver it.
      const answer = await fetch(`${url}/webhooks/github`, {
        method: 'POST',
        headers: request.headers,
        body: new Uint8Array(request.body),
      });
      return sendJson(res, answer.status, { deliveryId: request.deliveryId, answer: await answer.json() });
    }
    const replay = /^\/api\/deliveries\/([\w-]{1,120})\/replay$/.exec(path);
    if (replay) {
      const parsed = replayBody.safeParse(jsonBody(await readBody(req, API_BODY_LIMIT)));
      if (!parsed.success) throw new HttpError(400, 'Expected { "dryRun": boolean }.');
      const envelope = await envelopeOf(replay[1]);
      return sendJson(
        res,
        200,
        await bridge.replay(envelope, { dryRun: parsed.data.dryRun, waitMs: parsed.data.wait ? 30_000 : 0 }),
      );
    }
    const redrive = /^\/api\/deliveries\/([\w-]{1,120})\/redrive$/.exec(path);
    if (redrive) {
      const ok = await queue.redrive(redrive[1]);
      if (!ok) throw new HttpError(409, `Delivery ${redrive[1]} is not in the dead letters.`);
      return sendJson(res, 200, { redriven: redrive[1] });
    }
    if (path === '/api/flush') {
      // Lets `npm run replay` read the data directory: history records and bodies are written lazily.
      await history.flush();
      return sendJson(res, 200, { flushed: true });
    }
    if (path === '/api/replay') {
      const parsed = apiReplayBody.safeParse(jsonBody(await readBody(req, API_BODY_LIMIT)));
      if (!parsed.success) throw new HttpError(400, 'Expected { "envelope": {...}, "dryRun": boolean }.');
      let envelope: Envelope;
      try {
        envelope = parseEnvelope(JSON.stringify(parsed.data.envelope));
      } catch (err) {
        throw new HttpError(400, err instanceof Error ? err.message : 'Not an envelope.');
      }
      return sendJson(res, 200, await bridge.replay(envelope, { dryRun: parsed.data.dryRun }));
    }
    throw new HttpError(404, 'Not found.');
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) log.error('local server error', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) {
        sendJson(res, status, { error: err instanceof Error ? err.message : 'Internal error.' });
      } else {
        res.end();
      }
      if (status === 413) req.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = WILDCARD.has(options.host)
    ? 'localhost'
    : options.host.includes(':')
      ? `[${options.host}]`
      : options.host;
  url = `http://${shownHost}:${port}`;
  return {
    url,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(force);
    },
  };
}
