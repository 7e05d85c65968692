/**
 * 10,000 generated hostile requests (seeded) through `acceptWebhook`, and a sample of every category through the
 * ingest Lambda handler as API Gateway HTTP API v2 events (SNS and Secrets Manager mocked): every one answers its
 * 4xx, none a 5xx, nothing is published. Valid controls prove the same set-up does publish.
 */

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { acceptWebhook, type IngestDeps } from '../../lambdas/core/ingest';
import type { Envelope } from '../../lambdas/core/types';
import { type CapturedOutput, captureLogs, captureOutput } from '../helpers/capture-logs';
import { apiGatewayEvent, signedRequest } from '../helpers/signed-request';
import {
  type BadRequest,
  badRequests,
  basePayloads,
  CATEGORIES,
  type Category,
  deliveredBody,
  MAX_BODY_BYTES,
  PREVIOUS_SECRET,
  SECRET,
} from './bad-requests';

const TOTAL = 10_000;
const SEED = 0x5ec0_2025;
const HANDLER_SAMPLE_PER_CATEGORY = 30;

interface Tally {
  total: number;
  statuses: Map<number, number>;
}

function tally(): Map<Category, Tally> {
  return new Map(CATEGORIES.map((c) => [c, { total: 0, statuses: new Map<number, number>() }]));
}

function count(t: Map<Category, Tally>, category: Category, status: number): void {
  const entry = t.get(category);
  if (entry === undefined) throw new Error(`unknown category ${category}`);
  entry.total++;
  entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
}

function table(title: string, t: Map<Category, Tally>): string {
  const rows = [...t].map(([category, { total, statuses }]) => {
    const by = [...statuses].map(([s, n]) => `${s}×${n}`).join(' ');
    return `  ${category.padEnd(50)} ${String(total).padStart(5)}  ${by}`;
  });
  return [title, ...rows].join('\n');
}

/** For each category: every answer is the prescribed 4xx. */
function expectAllPrescribed(t: Map<Category, Tally>, expected: ReadonlyMap<Category, number>): void {
  for (const [category, { total, statuses }] of t) {
    expect({ category, statuses: Object.fromEntries(statuses) }).toEqual({
      category,
      statuses: { [String(expected.get(category))]: total },
    });
  }
}

describe('acceptWebhook under 10,000 generated bad requests', () => {
  const published: Envelope[] = [];
  const logs = captureLogs();
  const deps: IngestDeps = {
    secrets: async () => [SECRET, PREVIOUS_SECRET],
    publisher: {
      publish: async (e) => {
        published.push(e);
      },
    },
    maxBodyBytes: MAX_BODY_BYTES,
    log: logs.log,
    metrics: { count() {}, milliseconds() {} },
    now: () => Date.UTC(2025, 5, 2),
  };

  test('control: every base payload, validly signed with either secret, is accepted and published', async () => {
    let n = 0;
    for (const { event, body } of basePayloads()) {
      for (const secret of [SECRET, PREVIOUS_SECRET]) {
        const req = signedRequest({ event, payload: body, secret, deliveryId: `control-${n++}` });
        const res = await acceptWebhook(req, deps);
        expect(res.status).toBe(202);
      }
    }
    expect(published).toHaveLength(n);
    published.length = 0;
  });

  test('100 % answered with the prescribed 4xx, 0 × 5xx, 0 publishes; counts per category', async () => {
    const t = tally();
    const expected = new Map<Category, number>();
    let fiveHundreds = 0;
    for (const bad of badRequests(TOTAL, SEED)) {
      expected.set(bad.category, bad.expected);
      const res = await acceptWebhook({ headers: bad.request.headers, body: deliveredBody(bad) }, deps);
      if (res.status >= 500) fiveHundreds++;
      count(t, bad.category, res.status);
    }
    console.log(table(`acceptWebhook: ${TOTAL} bad requests (seed ${SEED})`, t));
    expect([...t.values()].reduce((n, e) => n + e.total, 0)).toBe(TOTAL);
    expect(fiveHundreds).toBe(0);
    expect(published).toHaveLength(0);
    expectAllPrescribed(t, expected);
    // Every category was exercised in volume.
    for (const { total } of t.values()) expect(total).toBeGreaterThanOrEqual(Math.floor(TOTAL / CATEGORIES.length));
    // Rejections are logged as warnings, never as errors (an error line would mean a 5xx path).
    expect(logs.entries.filter((e) => e.level === 'error')).toEqual([]);
  });
});

describe('the ingest Lambda handler (API Gateway v2 events) under a sample of every category', () => {
  const ENV = {
    WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-Sec123',
    TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pr-events.fifo',
    PAYLOAD_BUCKET: 'payload-bucket',
    MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  };
  const sns = mockClient(SNSClient);
  const sm = mockClient(SecretsManagerClient);
  const saved = { ...process.env };
  let handler: typeof import('../../lambdas/ingest/handler').handler;
  let output: CapturedOutput;

  beforeAll(async () => {
    Object.assign(process.env, ENV);
    ({ handler } = await import('../../lambdas/ingest/handler'));
  });
  afterAll(() => {
    process.env = saved;
    sns.restore();
    sm.restore();
  });
  beforeEach(() => {
    sns.reset();
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({
      SecretString: JSON.stringify({ current: SECRET, previous: PREVIOUS_SECRET }),
    });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '1' });
    output = captureOutput();
  });
  afterEach(() => output.restore());

  function toEvent(bad: BadRequest): APIGatewayProxyEventV2 {
    if (bad.transport === 'base64-flag-false')
      return { ...apiGatewayEvent(bad.request, { base64: true }), isBase64Encoded: false };
    if (bad.transport === 'base64-flag-true-raw') return { ...apiGatewayEvent(bad.request), isBase64Encoded: true };
    return apiGatewayEvent(bad.request, { base64: bad.request.body.length % 2 === 0 });
  }

  test('control: valid deliveries, plain and base64-encoded, are published', async () => {
    let n = 0;
    for (const { event, body } of basePayloads()) {
      for (const base64 of [false, true]) {
        const req = signedRequest({ event, payload: body, secret: SECRET, deliveryId: `handler-control-${n++}` });
        expect((await handler(apiGatewayEvent(req, { base64 }))).statusCode).toBe(202);
      }
    }
    expect(sns.commandCalls(PublishCommand)).toHaveLength(n);
  });

  test('every sampled bad request answers its 4xx with a JSON error, 0 × 5xx, 0 publishes', async () => {
    const t = tally();
    const expected = new Map<Category, number>();
    const sample = badRequests(HANDLER_SAMPLE_PER_CATEGORY * CATEGORIES.length, SEED + 1);
    for (const bad of sample) {
      expected.set(bad.category, bad.expected);
      const res = await handler(toEvent(bad));
      count(t, bad.category, res.statusCode ?? 0);
      expect(res.headers?.['content-type']).toBe('application/json');
      expect(JSON.parse(String(res.body))).toEqual({ error: expect.any(String) });
    }
    output.restore();
    console.log(table('ingest Lambda handler: sampled bad requests', t));
    expectAllPrescribed(t, expected);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
