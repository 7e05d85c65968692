/**
 * The ingest use case, shared by the Lambda handler and the local mode: a signed GitHub request
 * (headers + raw bytes) becomes a published {@link Envelope}, or a clear 4xx/5xx answer.
 * Order: size → required headers → signature (raw bytes) → JSON → ping → classify → publish.
 */
import { classify, InvalidPayloadError, toEnvelope } from './classify';
import { type Log, METRIC, type MetricsSink, type Publisher } from './ports';
import { verifySignature } from './signature';

export interface WebhookRequest {
  /** Header names in any case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw body bytes, exactly as received (base64 already decoded). */
  readonly body: Uint8Array;
}

export interface IngestDeps {
  /** Webhook secrets to accept: the current one first, then the previous one during a rotation. */
  readonly secrets: () => Promise<readonly string[]>;
  readonly publisher: Publisher;
  readonly maxBodyBytes: number;
  readonly log: Log;
  readonly metrics: MetricsSink;
  /** Epoch ms. */
  readonly now: () => number;
}

export interface WebhookResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Delivery ids become queue deduplication ids: GitHub sends UUIDs; accept word characters and dashes. */
const DELIVERY_ID = /^[\w-]{1,100}$/;
const EVENT_NAME = /^[\w.-]{1,100}$/;

/** A {@link Log} that adds `fields` to every line (e.g. the delivery id). */
export function withFields(log: Log, fields: Readonly<Record<string, unknown>>): Log {
  return {
    debug: (message, extra) => log.debug(message, { ...extra, ...fields }),
    info: (message, extra) => log.info(message, { ...extra, ...fields }),
    warn: (message, extra) => log.warn(message, { ...extra, ...fields }),
    error: (message, extra) => log.error(message, { ...extra, ...fields }),
  };
}

/** Case-insensitive header lookup (the first non-empty value wins when a name repeats in another case). */
function headerReader(headers: WebhookRequest['headers']): (name: string) => string | undefined {
  const lower = new Map<string, string>();
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    if (typeof value === 'string' && value.length > 0 && !lower.has(name)) lower.set(name, value);
  }
  return (name) => lower.get(name);
}

function errorFields(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { errorName: err.name, errorMessage: err.message } : { errorName: typeof err };
}

const fail = (status: number, error: string): WebhookResponse => ({ status, body: { error } });

/** Accept one GitHub webhook delivery. Never throws; a 2xx means handed off (or deliberately ignored). */
export async function acceptWebhook(req: WebhookRequest, deps: IngestDeps): Promise<WebhookResponse> {
  const header = headerReader(req.headers);
  const rawId = header('x-github-delivery');
  const rawEvent = header('x-github-event');
  const deliveryId = rawId !== undefined && DELIVERY_ID.test(rawId) ? rawId : undefined;
  const event = rawEvent !== undefined && EVENT_NAME.test(rawEvent) ? rawEvent : undefined;
  const log = withFields(deps.log, { deliveryId: deliveryId ?? null, event: event ?? null });
  try {
    const res = await accept(req, deps, log, header, deliveryId, event);
    if (res.status >= 400 && res.status < 500) {
      log.warn('Delivery rejected', { status: res.status, reason: res.body.error, bytes: req.body.byteLength });
    }
    return res;
  } catch (err) {
    log.error('Unexpected ingest failure', errorFields(err));
    return fail(500, 'The delivery could not be processed because of an internal error.');
  }
}

async function accept(
  req: WebhookRequest,
  deps: IngestDeps,
  log: Log,
  header: (name: string) => string | undefined,
  deliveryId: string | undefined,
  event: string | undefined,
): Promise<WebhookResponse> {
  const bytes = req.body.byteLength;
  if (bytes > deps.maxBodyBytes) {
    return fail(413, `The payload is ${bytes} bytes, over the ${deps.maxBodyBytes}-byte limit.`);
  }
  const signature = header('x-hub-signature-256');
  if (signature === undefined) {
    deps.metrics.count(METRIC.signatureRejected);
    return fail(401, 'The X-Hub-Signature-256 header is missing; configure a webhook secret on GitHub.');
  }
  if (header('x-github-event') === undefined) return fail(400, 'The X-GitHub-Event header is missing.');
  if (event === undefined) return fail(400, 'The X-GitHub-Event header is not a valid event name.');
  if (header('x-github-delivery') === undefined) return fail(400, 'The X-GitHub-Delivery header is missing.');
  if (deliveryId === undefined) {
    return fail(400, 'The X-GitHub-Delivery header must be 1-100 letters, digits, underscores or dashes.');
  }

  let secrets: readonly string[];
  try {
    secrets = await deps.secrets();
  } catch (err) {
    log.error('Webhook secret unavailable', errorFields(err));
    return fail(503, 'The webhook secret could not be loaded; redeliver the event later.');
  }
  if (!verifySignature(secrets, req.body, signature)) {
    deps.metrics.count(METRIC.signatureRejected);
    return fail(401, 'The X-Hub-Signature-256 signature does not match the payload and the webhook secret.');
  }

  let text: string;
  let payload: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(req.body);
    payload = JSON.parse(text);
  } catch {
    // The parser's message quotes the body: it is never logged.
    return fail(400, 'The body is not valid UTF-8 JSON; set the webhook content type to application/json.');
  }
  deps.metrics.count(METRIC.deliveriesReceived, 1, { EventType: event });

  if (event === 'ping') {
    const zen = typeof payload === 'object' && payload !== null && 'zen' in payload ? payload.zen : undefined;
    log.info('Ping received');
    return { status: 200, body: typeof zen === 'string' ? { ok: true, zen } : { ok: true } };
  }

  let classification: ReturnType<typeof classify>;
  try {
    classification = classify(event, payload);
  } catch (err) {
    if (!(err instanceof InvalidPayloadError)) throw err;
    return fail(400, err.message);
  }
  if (!classification.handled) {
    deps.metrics.count(METRIC.deliveriesIgnored, 1, { EventType: event });
    log.info('Delivery ignored', { reason: classification.reason });
    return { status: 202, body: { ignored: true, reason: classification.reason } };
  }

  const envelope = toEnvelope(classification, { deliveryId, event, body: text, receivedAt: deps.now() });
  try {
    await deps.publisher.publish(envelope);
  } catch (err) {
    deps.metrics.count(METRIC.publishFailed);
    log.error('Publish failed', { ...errorFields(err), groupId: envelope.groupId });
    return fail(502, 'The delivery could not be queued; redeliver it from GitHub.');
  }
  log.info('Delivery accepted', { action: envelope.action ?? null, groupId: envelope.groupId, bytes });
  return { status: 202, body: { accepted: true, deliveryId } };
}
