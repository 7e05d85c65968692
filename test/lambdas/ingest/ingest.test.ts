import { acceptWebhook, type IngestDeps, type WebhookRequest, withFields } from '../../../lambdas/core/ingest';
import { METRIC, type MetricsSink, type Publisher } from '../../../lambdas/core/ports';
import { sign } from '../../../lambdas/core/signature';
import type { Envelope } from '../../../lambdas/core/types';
import { captureLogs } from '../../helpers/capture-logs';
import { signedRequest } from '../../helpers/signed-request';
import { example, examples, prComment } from './examples';

const SECRET = 'current-webhook-secret-7f3a9c';
const PREVIOUS = 'previous-webhook-secret-11b2d4';
const NOW = 1_764_878_400_123;
const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

interface MetricCall {
  readonly name: string;
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}

function recordingMetrics(): MetricsSink & { readonly calls: MetricCall[] } {
  const calls: MetricCall[] = [];
  return {
    calls,
    count: (name, value = 1, dimensions) => calls.push({ name, value, ...(dimensions ? { dimensions } : {}) }),
    milliseconds: (name, value) => calls.push({ name, value }),
  };
}

/** Every string that must never reach a log line, collected across the whole file. */
const forbidden = new Set<string>([SECRET, PREVIOUS]);
const allLines: string[] = [];

async function deliver(req: WebhookRequest, overrides: Partial<IngestDeps> = {}) {
  const published: Envelope[] = [];
  const publisher: Publisher = { publish: async (envelope) => void published.push(envelope) };
  const metrics = recordingMetrics();
  const logs = captureLogs();
  let secretLoads = 0;
  const deps: IngestDeps = {
    secrets: async () => {
      secretLoads += 1;
      return [SECRET];
    },
    publisher,
    maxBodyBytes: 1_000_000,
    log: logs.log,
    metrics,
    now: () => NOW,
    ...overrides,
  };
  const signature = Object.entries(req.headers).find(([k]) => k.toLowerCase() === 'x-hub-signature-256')?.[1];
  if (signature) {
    forbidden.add(signature);
    if (signature.length > 'sha256='.length + 8) forbidden.add(signature.slice('sha256='.length));
  }
  const text = Buffer.from(req.body).toString('utf8');
  if (text.length >= 8) forbidden.add(text);
  const res = await acceptWebhook(req, deps);
  allLines.push(...logs.lines());
  return { res, published, metrics: metrics.calls, logs, secretLoads: () => secretLoads };
}

const counted = (calls: readonly MetricCall[], name: string) => calls.filter((c) => c.name === name);

afterAll(() => {
  // Log hygiene over every line any test produced: no secret, no signature, no raw body.
  expect(allLines.length).toBeGreaterThan(20);
  for (const line of allLines) {
    for (const value of forbidden) expect(line).not.toContain(value);
  }
});

describe('acceptWebhook: accepted deliveries', () => {
  test('publishes a real pull_request.opened delivery as an envelope carrying the raw body', async () => {
    const payload = example('pull_request', 'opened');
    // Pretty-printed on purpose: the envelope must carry the exact text GitHub signed.
    const raw = JSON.stringify(payload, null, 2);
    const req = signedRequest({ event: 'pull_request', payload: raw, secret: SECRET, deliveryId: DELIVERY });
    const { res, published, metrics } = await deliver(req);
    expect(res).toEqual({ status: 202, body: { accepted: true, deliveryId: DELIVERY } });
    expect(published).toEqual([
      {
        v: 1,
        deliveryId: DELIVERY,
        event: 'pull_request',
        action: 'opened',
        repositoryId: 186853002,
        repository: 'Codertocat/Hello-World',
        prNumber: 2,
        groupId: '186853002#2',
        receivedAt: NOW,
        body: raw,
      },
    ]);
    expect(counted(metrics, METRIC.deliveriesReceived)).toEqual([
      { name: METRIC.deliveriesReceived, value: 1, dimensions: { EventType: 'pull_request' } },
    ]);
  });

  const handled = [
    ...['pull_request', 'pull_request_review', 'pull_request_review_comment'].flatMap((event) =>
      examples(event).map((payload) => [event, payload] as const),
    ),
    ['issue_comment', prComment()] as const,
    ...['check_suite', 'workflow_run'].flatMap((event) =>
      examples(event)
        .filter((p) => JSON.stringify(p[event]).includes('"pull_requests":[{'))
        .map((payload) => [event, payload] as const),
    ),
  ];
  test.each(handled)('accepts and publishes a signed %s example', async (event, payload) => {
    const { res, published } = await deliver(signedRequest({ event, payload, secret: SECRET }));
    expect(res.status).toBe(202);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ event, action: payload.action, groupId: expect.stringMatching(/^\d+#\d+$/) });
  });

  test('reads headers in any case', async () => {
    const base = signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: SECRET });
    const req = {
      headers: {
        'X-Hub-Signature-256': base.headers['x-hub-signature-256'],
        'X-GitHub-Event': 'pull_request',
        'X-GITHUB-DELIVERY': DELIVERY,
      },
      body: base.body,
    };
    const { res, published } = await deliver(req);
    expect(res.status).toBe(202);
    expect(published[0].deliveryId).toBe(DELIVERY);
  });

  test('accepts a delivery signed with the previous secret during a rotation', async () => {
    const req = signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: PREVIOUS });
    const { res, published } = await deliver(req, { secrets: async () => [SECRET, PREVIOUS] });
    expect(res.status).toBe(202);
    expect(published).toHaveLength(1);
  });

  test('every log line carries the delivery id', async () => {
    const req = signedRequest({
      event: 'pull_request',
      payload: example('pull_request'),
      secret: SECRET,
      deliveryId: DELIVERY,
    });
    const { logs } = await deliver(req);
    expect(logs.entries.length).toBeGreaterThan(0);
    for (const entry of logs.entries) expect(entry.extra.deliveryId).toBe(DELIVERY);
  });
});

describe('acceptWebhook: ping and ignored events', () => {
  test('ping answers 200 with the zen and publishes nothing', async () => {
    const payload = example('ping');
    const { res, published } = await deliver(signedRequest({ event: 'ping', payload, secret: SECRET }));
    expect(res).toEqual({ status: 200, body: { ok: true, zen: payload.zen } });
    expect(published).toEqual([]);
  });

  test('push is acknowledged as ignored, counted, not published', async () => {
    const { res, published, metrics } = await deliver(
      signedRequest({ event: 'push', payload: example('push'), secret: SECRET }),
    );
    expect(res).toEqual({ status: 202, body: { ignored: true, reason: 'push events are not handled' } });
    expect(published).toEqual([]);
    expect(counted(metrics, METRIC.deliveriesIgnored)).toEqual([
      { name: METRIC.deliveriesIgnored, value: 1, dimensions: { EventType: 'push' } },
    ]);
  });

  test('a comment on a plain issue is acknowledged as ignored, not published', async () => {
    const req = signedRequest({ event: 'issue_comment', payload: example('issue_comment'), secret: SECRET });
    const { res, published, metrics } = await deliver(req);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ ignored: true, reason: 'issue_comment on a plain issue (not a pull request)' });
    expect(published).toEqual([]);
    expect(counted(metrics, METRIC.deliveriesIgnored)).toHaveLength(1);
  });
});

describe('acceptWebhook: rejected deliveries', () => {
  const pr = () => signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: SECRET });

  test('one mutated body byte → 401, nothing published, counted', async () => {
    const req = pr();
    const body = Buffer.from(req.body);
    body[body.length - 2] ^= 0x01;
    const { res, published, metrics, logs } = await deliver({ headers: req.headers, body });
    expect(res.status).toBe(401);
    expect(logs.entries).toContainEqual({
      level: 'warn',
      message: 'Delivery rejected',
      extra: expect.objectContaining({ status: 401, deliveryId: req.headers['x-github-delivery'] }),
    });
    expect(res.body).toEqual({ error: expect.stringMatching(/signature does not match/) });
    expect(published).toEqual([]);
    expect(counted(metrics, METRIC.signatureRejected)).toHaveLength(1);
  });

  test('a secret that is neither current nor previous → 401', async () => {
    const req = signedRequest({
      event: 'pull_request',
      payload: example('pull_request'),
      secret: 'unknown-secret-xyz',
    });
    const { res, published } = await deliver(req, { secrets: async () => [SECRET, PREVIOUS] });
    expect(res.status).toBe(401);
    expect(published).toEqual([]);
  });

  const hex = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
  test.each([
    ['empty', ''],
    ['prefix only', 'sha256='],
    ['wrong length', `sha256=${hex.slice(2)}`],
    ['non-hex', `sha256=${'z'.repeat(64)}`],
    ['sha1 only', 'sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0'],
    ['multibyte', `sha256=${'ü'.repeat(64)}`],
    ['a valid digest of another body', `sha256=${hex}`],
  ])('a malformed or wrong signature (%s) → 401, never 5xx', async (_name, signature) => {
    const req = signedRequest({
      event: 'pull_request',
      payload: example('pull_request'),
      secret: SECRET,
      headers: { 'x-hub-signature-256': signature },
    });
    const { res, published } = await deliver(req);
    expect(res.status).toBe(401);
    expect(published).toEqual([]);
  });

  test('a missing signature header → 401 before any other check', async () => {
    const req = signedRequest({
      event: 'pull_request',
      payload: 'not even json',
      secret: SECRET,
      headers: { 'x-hub-signature-256': undefined, 'x-github-event': undefined },
    });
    const { res, secretLoads } = await deliver(req);
    expect(res).toEqual({
      status: 401,
      body: { error: expect.stringMatching(/X-Hub-Signature-256 header is missing/) },
    });
    expect(secretLoads()).toBe(0);
  });

  test.each([
    ['X-GitHub-Event missing', { 'x-github-event': undefined }, /X-GitHub-Event header is missing/],
    ['X-GitHub-Event empty', { 'x-github-event': '' }, /X-GitHub-Event header is missing/],
    ['X-GitHub-Event malformed', { 'x-github-event': 'pull request' }, /X-GitHub-Event/],
    ['X-GitHub-Delivery missing', { 'x-github-delivery': undefined }, /X-GitHub-Delivery header is missing/],
    ['X-GitHub-Delivery too long', { 'x-github-delivery': 'a'.repeat(101) }, /X-GitHub-Delivery/],
    ['X-GitHub-Delivery with spaces', { 'x-github-delivery': 'abc def' }, /X-GitHub-Delivery/],
    ['X-GitHub-Delivery with a slash', { 'x-github-delivery': '../etc' }, /X-GitHub-Delivery/],
  ])('%s → 400, nothing published', async (_name, headers, message) => {
    const req = signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: SECRET, headers });
    const { res, published } = await deliver(req);
    expect(res).toEqual({ status: 400, body: { error: expect.stringMatching(message) } });
    expect(published).toEqual([]);
  });

  test('a delivery id of 100 word characters and dashes is accepted', async () => {
    const deliveryId = `${'a'.repeat(50)}-${'B_9'.repeat(16)}n`;
    expect(deliveryId).toHaveLength(100);
    const req = signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: SECRET, deliveryId });
    expect((await deliver(req)).res.status).toBe(202);
  });

  test('invalid JSON with a valid signature → 400', async () => {
    const req = signedRequest({ event: 'pull_request', payload: 'not json{', secret: SECRET });
    const { res, published } = await deliver(req);
    expect(res).toEqual({ status: 400, body: { error: expect.stringMatching(/not valid UTF-8 JSON/) } });
    expect(published).toEqual([]);
  });

  test('invalid JSON with a wrong signature → 401 (verified before parsing)', async () => {
    const req = signedRequest({ event: 'pull_request', payload: 'not json{', secret: 'another-secret-abc' });
    expect((await deliver(req)).res.status).toBe(401);
  });

  test('invalid UTF-8 with a valid signature → 400', async () => {
    const req = signedRequest({
      event: 'pull_request',
      payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      secret: SECRET,
    });
    expect((await deliver(req)).res.status).toBe(400);
  });

  test('a handled event without repository.id → 400', async () => {
    const payload = example('pull_request');
    delete payload.repository;
    const { res, published } = await deliver(signedRequest({ event: 'pull_request', payload, secret: SECRET }));
    expect(res).toEqual({ status: 400, body: { error: 'The payload has no valid repository.id.' } });
    expect(published).toEqual([]);
  });

  test('a body over the limit → 413 before the signature is looked at', async () => {
    const req = signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: SECRET });
    const { res, secretLoads, published } = await deliver(req, { maxBodyBytes: req.body.length - 1 });
    expect(res).toEqual({ status: 413, body: { error: expect.stringMatching(/over the \d+-byte limit/) } });
    expect(secretLoads()).toBe(0);
    expect(published).toEqual([]);
  });

  test('a body exactly at the limit is accepted', async () => {
    const req = signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: SECRET });
    expect((await deliver(req, { maxBodyBytes: req.body.length })).res.status).toBe(202);
  });
});

describe('acceptWebhook: failures downstream', () => {
  const pr = () => signedRequest({ event: 'pull_request', payload: example('pull_request'), secret: SECRET });

  test('a failed publish → 502 with an error, counted, never 2xx', async () => {
    const publisher: Publisher = {
      publish: async () => {
        throw new Error('SNS is unavailable');
      },
    };
    const { res, metrics, logs } = await deliver(pr(), { publisher });
    expect(res).toEqual({ status: 502, body: { error: expect.stringMatching(/could not be queued/) } });
    expect(counted(metrics, METRIC.publishFailed)).toHaveLength(1);
    expect(logs.entries.find((e) => e.level === 'error')?.extra).toMatchObject({ errorMessage: 'SNS is unavailable' });
  });

  test('an unavailable secret → 503, nothing published', async () => {
    const { res, published } = await deliver(pr(), {
      secrets: async () => {
        throw new Error('AccessDenied');
      },
    });
    expect(res).toEqual({ status: 503, body: { error: expect.stringMatching(/secret could not be loaded/) } });
    expect(published).toEqual([]);
  });

  test('an unexpected failure → 500 with an error body, never a throw', async () => {
    const { res } = await deliver(pr(), {
      now: () => {
        throw new Error('clock broke');
      },
    });
    expect(res).toEqual({ status: 500, body: { error: expect.any(String) } });
  });
});

describe('log hygiene', () => {
  test('logs of every outcome contain neither secret, signature nor body', async () => {
    const payload = example('pull_request');
    const raw = JSON.stringify(payload);
    const good = signedRequest({ event: 'pull_request', payload: raw, secret: SECRET });
    const bad = { headers: { ...good.headers, 'x-hub-signature-256': sign('wrong-secret-q', raw) }, body: good.body };
    const junk = signedRequest({ event: 'pull_request', payload: 'not json{', secret: SECRET });
    const outcomes = [await deliver(good), await deliver(bad), await deliver(junk)];
    const lines = outcomes.flatMap((o) => o.logs.lines());
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) {
      for (const value of [
        SECRET,
        good.headers['x-hub-signature-256'],
        bad.headers['x-hub-signature-256'],
        raw,
        'not json{',
      ]) {
        expect(line).not.toContain(value);
      }
    }
  });
});

test('withFields adds the fields to every level and keeps them over extra keys', () => {
  const logs = captureLogs();
  const log = withFields(logs.log, { deliveryId: 'd-1' });
  log.debug('a');
  log.info('b', { x: 1 });
  log.warn('c', { deliveryId: 'spoofed' });
  log.error('d');
  expect(logs.entries.map((e) => [e.level, e.extra])).toEqual([
    ['debug', { deliveryId: 'd-1' }],
    ['info', { x: 1, deliveryId: 'd-1' }],
    ['warn', { deliveryId: 'd-1' }],
    ['error', { deliveryId: 'd-1' }],
  ]);
});
