import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { type CapturedOutput, captureOutput } from '../../helpers/capture-logs';
import { apiGatewayEvent, type SignedRequest, signedRequest } from '../../helpers/signed-request';
import { example } from './examples';

const SECRET = 'handler-current-secret-4e1d';
const PREVIOUS = 'handler-previous-secret-9a0c';
const ENV = {
  WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhook-AbCdEf',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:pr-events.fifo',
  PAYLOAD_BUCKET: 'payload-bucket',
  MAX_BODY_BYTES: '1000000',
};

const sns = mockClient(SNSClient);
const sm = mockClient(SecretsManagerClient);
const s3 = mockClient(S3Client);

type Handler = typeof import('../../../lambdas/ingest/handler').handler;
let handler: Handler;
const saved = { ...process.env };
let output: CapturedOutput;
const printed: string[] = [];
const forbidden: string[] = [SECRET, PREVIOUS];

beforeAll(async () => {
  Object.assign(process.env, ENV);
  ({ handler } = await import('../../../lambdas/ingest/handler'));
});

afterAll(() => {
  process.env = saved;
  expect(printed.some((line) => line.includes('"level"'))).toBe(true);
  for (const line of printed) for (const value of forbidden) expect(line).not.toContain(value);
});

beforeEach(() => {
  sns.reset();
  sm.reset();
  s3.reset();
  sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ current: SECRET, previous: PREVIOUS }) });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '1' });
  s3.on(PutObjectCommand).resolves({});
  output = captureOutput();
});

afterEach(() => {
  output.restore();
  printed.push(...output.lines());
});

function remember(req: SignedRequest): SignedRequest {
  const signature = req.headers['x-hub-signature-256'];
  if (signature) forbidden.push(signature);
  forbidden.push(req.body.toString('utf8'));
  return req;
}

const pr = (secret = SECRET, payload: unknown = example('pull_request', 'opened')) =>
  remember(
    signedRequest({ event: 'pull_request', payload, secret, deliveryId: 'b5e1c5a0-d1f0-11e3-9a0f-1e2f3a4b5c6d' }),
  );

describe('ingest handler', () => {
  test('accepts a base64-encoded v2 event: decodes, verifies, publishes to the FIFO topic, answers 202 JSON', async () => {
    const req = pr();
    const res = await handler(apiGatewayEvent(req, { base64: true }));
    expect(res).toEqual({
      statusCode: 202,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accepted: true, deliveryId: 'b5e1c5a0-d1f0-11e3-9a0f-1e2f3a4b5c6d' }),
    });
    const [call] = sns.commandCalls(PublishCommand);
    expect(call.args[0].input).toMatchObject({
      TopicArn: ENV.TOPIC_ARN,
      MessageGroupId: '186853002#2',
      MessageDeduplicationId: 'b5e1c5a0-d1f0-11e3-9a0f-1e2f3a4b5c6d',
    });
    expect(JSON.parse(call.args[0].input.Message ?? '').body).toBe(req.body.toString('utf8'));
  });

  test('accepts a plain-text body', async () => {
    const res = await handler(apiGatewayEvent(pr()));
    expect(res.statusCode).toBe(202);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  test('a base64 body read as text would not verify: the flag is honoured', async () => {
    const event = { ...apiGatewayEvent(pr(), { base64: true }), isBase64Encoded: false };
    expect((await handler(event)).statusCode).toBe(401);
  });

  test('reads the secrets from Secrets Manager: the previous secret is accepted during a rotation', async () => {
    expect((await handler(apiGatewayEvent(pr(PREVIOUS)))).statusCode).toBe(202);
  });

  test('an unknown secret is rejected with 401 and nothing published', async () => {
    const res = await handler(apiGatewayEvent(pr('some-other-secret-77')));
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body ?? '')).toEqual({ error: expect.any(String) });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('a body over MAX_BODY_BYTES → 413', async () => {
    const payload = { ...example('pull_request', 'opened'), padding: 'p'.repeat(1_000_000) };
    const res = await handler(apiGatewayEvent(pr(SECRET, payload), { base64: true }));
    expect(res.statusCode).toBe(413);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('a payload too large for SNS goes to the payload bucket and travels by reference', async () => {
    const payload = { ...example('pull_request', 'opened'), padding: 'p'.repeat(300_000) };
    const req = pr(SECRET, payload);
    const res = await handler(apiGatewayEvent(req));
    expect(res.statusCode).toBe(202);
    const [put] = s3.commandCalls(PutObjectCommand);
    expect(put.args[0].input).toMatchObject({
      Bucket: ENV.PAYLOAD_BUCKET,
      Key: expect.stringMatching(/^payloads\/\d{4}\/\d{2}\/\d{2}\/b5e1c5a0-d1f0-11e3-9a0f-1e2f3a4b5c6d\.json$/),
      Body: req.body.toString('utf8'),
    });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0].args[0].input.Message ?? '');
    expect(message.body).toBeUndefined();
    expect(message.bodyRef).toEqual({ bucket: ENV.PAYLOAD_BUCKET, key: put.args[0].input.Key });
  });

  test('an SNS failure → 502, never 2xx', async () => {
    sns.on(PublishCommand).rejects(new Error('InternalError'));
    const res = await handler(apiGatewayEvent(pr()));
    expect(res.statusCode).toBe(502);
    expect(JSON.parse(res.body ?? '')).toEqual({ error: expect.stringMatching(/could not be queued/) });
  });

  test('ping → 200 and nothing published', async () => {
    const req = remember(signedRequest({ event: 'ping', payload: example('ping'), secret: SECRET }));
    const res = await handler(apiGatewayEvent(req));
    expect(res.statusCode).toBe(200);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('log lines are JSON with the delivery id, never the secret, the signature or the body', async () => {
    await handler(apiGatewayEvent(pr()));
    await handler(apiGatewayEvent(pr('wrong-secret-31')));
    const logs = output
      .lines()
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => 'level' in line);
    expect(logs.length).toBeGreaterThanOrEqual(2);
    for (const line of logs) expect(line.deliveryId).toBe('b5e1c5a0-d1f0-11e3-9a0f-1e2f3a4b5c6d');
    for (const line of output.lines()) for (const value of forbidden) expect(line).not.toContain(value);
  });
});

describe('ingest handler configuration', () => {
  test.each(['WEBHOOK_SECRET_ARN', 'TOPIC_ARN', 'PAYLOAD_BUCKET'])(
    'fails at load naming a missing %s',
    async (name) => {
      const before = process.env[name];
      delete process.env[name];
      try {
        await jest.isolateModulesAsync(async () => {
          await expect(import('../../../lambdas/ingest/handler')).rejects.toThrow(name);
        });
      } finally {
        process.env[name] = before;
      }
    },
  );

  test('fails at load on a MAX_BODY_BYTES that is not a positive integer', async () => {
    process.env.MAX_BODY_BYTES = 'lots';
    try {
      await jest.isolateModulesAsync(async () => {
        await expect(import('../../../lambdas/ingest/handler')).rejects.toThrow('MAX_BODY_BYTES');
      });
    } finally {
      process.env.MAX_BODY_BYTES = ENV.MAX_BODY_BYTES;
    }
  });
});
