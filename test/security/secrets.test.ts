/**
 * Nothing secret leaves through logs or the template.
 * - Logs: the ingest and worker Lambda handlers run at DEBUG level (Powertools on stdout/stderr, captured) with a
 *   known bot token and webhook secrets, through happy paths and every error path (bad signature, secret store
 *   down, publish failed, Discord 5xx/429): no line holds the token, a webhook secret or any signature sent.
 * - Template: no secret value in the synthesized template or any Lambda environment (ARNs and names only); the
 *   webhook secret is generated, the bot token secret is a placeholder; no dynamic reference resolves a secret
 *   into a property.
 */

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Template } from 'aws-cdk-lib/assertions';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { Envelope } from '../../lambdas/core/types';
import { type CapturedOutput, captureOutput } from '../helpers/capture-logs';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { startTestDiscord, type TestDiscord } from '../helpers/emulator';
import { envelopeFor } from '../helpers/envelopes';
import { fixturePayload, prPayload } from '../helpers/payloads';
import { apiGatewayEvent, type SignedRequest, signedRequest } from '../helpers/signed-request';
import { sqsFifoEvent, sqsRecord } from '../helpers/sqs';
import { synthesizeApp } from './app';

/** Shaped like a real bot token (base64 user id . timestamp . HMAC), so a leak would look like one. */
const BOT_TOKEN = 'MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhX1yZ.k3yP9qL2mN8vB4cD7fG1hJ5kL0pQ3rS6tU9wX2';
const WEBHOOK_SECRET = 'whsec-current-Q7m2Zx9Lp4Vt8Rk1Nc6Bd3';
const PREVIOUS_SECRET = 'whsec-previous-H5s8Wq2Ej7Yu4Io1Pa9Gf6';
const ARN = {
  webhook: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbC123',
  token: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:discord-token-XyZ789',
};

const sm = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const saved = { ...process.env };
let discord: TestDiscord;
let dynamo: TestDynamo;
let ingest: typeof import('../../lambdas/ingest/handler').handler;
let worker: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Every value that must never be printed, collected as the flows run (signatures are added as they are sent). */
const forbidden = new Set<string>([BOT_TOKEN, BOT_TOKEN.split('.')[2] ?? BOT_TOKEN, WEBHOOK_SECRET, PREVIOUS_SECRET]);
const printed: string[] = [];
let output: CapturedOutput | undefined;

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'fn',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
  memoryLimitInMB: '256',
  awsRequestId: 'req-secrets',
  logGroupName: '/aws/lambda/fn',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

beforeAll(async () => {
  discord = await startTestDiscord({ token: BOT_TOKEN });
  dynamo = await startDynalite();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    AWS_LAMBDA_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_DEV: 'false',
    WEBHOOK_SECRET_ARN: ARN.webhook,
    TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pr-events.fifo',
    PAYLOAD_BUCKET: 'payload-bucket',
    MAX_BODY_BYTES: '200000',
    DISCORD_TOKEN_SECRET_ARN: ARN.token,
    DELIVERIES_TABLE: dynamo.tables.deliveries,
    THREADS_TABLE: dynamo.tables.threads,
    BRIDGE_CONFIG: JSON.stringify({
      guildId: discord.guildId,
      defaultChannelId: discord.textChannelId,
      users: { octocat: '400000000000000001' },
    }),
    DISCORD_API_URL: discord.emu.url,
    CLAIM_LEASE_SECONDS: '180',
    POWERTOOLS_METRICS_NAMESPACE: 'DiscordPrThreads',
  });
  ({ handler: ingest } = await import('../../lambdas/ingest/handler'));
  ({ handler: worker } = await import('../../lambdas/worker/handler'));
});

afterAll(async () => {
  process.env = saved;
  sm.restore();
  sns.restore();
  await discord.close();
  await dynamo.close();
});

beforeEach(() => {
  sm.reset();
  sns.reset();
  sm.on(GetSecretValueCommand, { SecretId: ARN.webhook }).resolves({
    SecretString: JSON.stringify({ current: WEBHOOK_SECRET, previous: PREVIOUS_SECRET }),
  });
  sm.on(GetSecretValueCommand, { SecretId: ARN.token }).resolves({ SecretString: BOT_TOKEN });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '1' });
  output = captureOutput();
});

afterEach(() => {
  output?.restore();
  printed.push(...(output?.lines() ?? []));
  output = undefined;
});

function remember(req: SignedRequest): SignedRequest {
  const signature = req.headers['x-hub-signature-256'];
  if (signature !== undefined && signature.length > 0) {
    forbidden.add(signature);
    forbidden.add(signature.replace(/^sha256=/i, ''));
  }
  return req;
}

let n = 0;
const request = (secret: string, payload: unknown = prPayload({ action: 'opened' }), event = 'pull_request') =>
  remember(signedRequest({ event, payload, secret, deliveryId: `secrets-${++n}` }));

describe('ingest Lambda logs (DEBUG level)', () => {
  test('secret store down first (cold start): 503, logged without the secret', async () => {
    sm.reset();
    sm.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException: not authorized'));
    const res = await ingest(apiGatewayEvent(request(WEBHOOK_SECRET)), context);
    expect(res.statusCode).toBe(503);
  });

  test('valid deliveries signed with the current and the previous secret, plain and base64', async () => {
    for (const secret of [WEBHOOK_SECRET, PREVIOUS_SECRET]) {
      for (const base64 of [false, true]) {
        expect((await ingest(apiGatewayEvent(request(secret), { base64 }), context)).statusCode).toBe(202);
      }
    }
    expect(sns.commandCalls(PublishCommand)).toHaveLength(4);
  });

  test('rejections: wrong secret, mutated signature, missing signature, oversize, non-JSON', async () => {
    const wrong = request('an-attacker-guess');
    const good = request(WEBHOOK_SECRET);
    const mutated = remember({
      ...good,
      headers: {
        ...good.headers,
        'x-hub-signature-256': good.headers['x-hub-signature-256']?.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
      },
    });
    const missing = signedRequest({
      event: 'pull_request',
      payload: {},
      secret: WEBHOOK_SECRET,
      headers: { 'x-hub-signature-256': undefined },
    });
    const oversize = request(WEBHOOK_SECRET, 'x'.repeat(200_001));
    const notJson = request(WEBHOOK_SECRET, 'not json at all');
    const statuses = [];
    for (const req of [wrong, mutated, missing, oversize, notJson]) {
      statuses.push((await ingest(apiGatewayEvent(req), context)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 413, 400]);
  });

  test('publish failed: 502, logged without the payload signature', async () => {
    sns.reset();
    sns.on(PublishCommand).rejects(new Error('SNS throttled'));
    expect((await ingest(apiGatewayEvent(request(WEBHOOK_SECRET)), context)).statusCode).toBe(502);
  });
});

describe('worker Lambda logs (DEBUG level)', () => {
  const envelope = (event: string, payload: unknown, id: string): Envelope => envelopeFor(event, payload, id);

  test('happy path: opened, comment, review → posted with the token, which is never printed', async () => {
    const batch = [
      envelope('pull_request', prPayload({ action: 'opened', reviewers: ['octocat'] }), 'w-opened'),
      envelope('issue_comment', fixturePayload('issue_comment.created.pull_request'), 'w-comment'),
      envelope('pull_request_review', fixturePayload('pull_request_review.submitted.approved'), 'w-review'),
    ];
    const res = await worker(sqsFifoEvent(batch.map((e) => sqsRecord(e))), context);
    expect(res.batchItemFailures).toEqual([]);
    expect(discord.emu.state.threads({ parentId: discord.textChannelId })).toHaveLength(1);
  });

  test('Discord 5xx and 429: the record fails (retried by the queue), errors logged without the token', async () => {
    const sync = prPayload({ action: 'synchronize' });
    // One in-process retry after a 5xx: both attempts fail. A lone failed record fails the whole batch (Powertools throws).
    discord.emu.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: '500', times: 2 });
    await expect(
      worker(sqsFifoEvent([sqsRecord(envelope('pull_request', sync, 'w-sync-500'))]), context),
    ).rejects.toThrow(/All records failed/);
    discord.emu.faults.clear();
    discord.emu.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: '429' });
    await expect(
      worker(sqsFifoEvent([sqsRecord(envelope('pull_request', sync, 'w-sync-429'))]), context),
    ).rejects.toThrow(/All records failed/);
    discord.emu.faults.clear();
    const statuses = discord.emu.state.requests().map((r) => r.status);
    expect(statuses).toEqual(expect.arrayContaining([500, 429]));
  });
});

describe('every captured line', () => {
  test('holds no bot token, webhook secret or signature (and the capture saw DEBUG, INFO, WARN and ERROR lines)', () => {
    const levels = new Set(printed.flatMap((line) => /"level":"(\w+)"/.exec(line)?.[1] ?? []));
    expect([...levels].sort()).toEqual(expect.arrayContaining(['DEBUG', 'ERROR', 'INFO', 'WARN']));
    expect(printed.length).toBeGreaterThan(20);
    expect(forbidden.size).toBeGreaterThan(10);
    const leaks = printed.flatMap((line) => [...forbidden].filter((value) => line.includes(value)).map(() => line));
    expect(leaks).toEqual([]);
  });
});

// ------------------------------------------------------------------ the synthesized app

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

describe('synthesized template', () => {
  let template: Record<string, unknown>;
  let resources: Record<string, Resource>;
  const env = { ...process.env };

  beforeAll(() => {
    // Values a careless construct could pick up from the deploying shell: none may reach the template.
    Object.assign(process.env, {
      DISCORD_BOT_TOKEN: BOT_TOKEN,
      DISCORD_TOKEN: BOT_TOKEN,
      WEBHOOK_SECRET,
      GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    try {
      template = Template.fromStack(synthesizeApp().stack).toJSON();
    } finally {
      process.env = env;
    }
    resources = template.Resources as Record<string, Resource>;
  });

  test('no known secret value, token-shaped string, signature or secret dynamic reference anywhere', () => {
    const text = JSON.stringify(template);
    for (const value of [BOT_TOKEN, WEBHOOK_SECRET, PREVIOUS_SECRET]) expect(text).not.toContain(value);
    expect(text).not.toMatch(/[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}/);
    expect(text).not.toMatch(/sha256=[0-9a-f]{16}/i);
    // `{{resolve:secretsmanager:...}}` would put a secret value into a property at deploy time.
    expect(text).not.toContain('{{resolve:secretsmanager');
    expect(text).not.toMatch(/"SecretString"/);
  });

  test('the webhook secret is generated and the bot token is a placeholder; no literal secret string', () => {
    const secrets = Object.values(resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    for (const s of secrets) {
      expect(s.Properties?.SecretString).toBeUndefined();
      expect(s.Properties?.GenerateSecretString).toEqual(
        expect.objectContaining({ PasswordLength: expect.any(Number) }),
      );
    }
    const generated = secrets.map((s) => s.Properties?.GenerateSecretString as Record<string, unknown>);
    const webhook = generated.find((g) => g.GenerateStringKey === 'current');
    expect(webhook).toBeDefined();
    expect(Number(webhook?.PasswordLength)).toBeGreaterThanOrEqual(32);
    const token = generated.find((g) => String(g.SecretStringTemplate ?? '').includes('placeholder'));
    expect(token).toBeDefined();
  });

  test('Lambda environments hold only ARNs, names and plain settings: every secret is referenced by ARN', () => {
    const secretIds = new Set(
      Object.entries(resources)
        .filter(([, r]) => r.Type === 'AWS::SecretsManager::Secret')
        .map(([id]) => id),
    );
    const functions = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    let secretRefs = 0;
    for (const [id, fn] of functions) {
      const vars = ((fn.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<
        string,
        unknown
      >;
      for (const [name, value] of Object.entries(vars)) {
        const where = `${id}.${name}`;
        const refs = JSON.stringify(value).match(/"(?:Ref|Fn::GetAtt)":\s*\[?"(\w+)"/g) ?? [];
        const toSecret = refs.some((r) => [...secretIds].some((s) => r.includes(`"${s}"`)));
        if (toSecret) {
          secretRefs++;
          // A Ref to a secret is its ARN; GetAtt could only be its ARN or name, never its value.
          expect({ where, ok: /_ARN$|_NAME$/.test(name) }).toEqual({ where, ok: true });
        }
        if (/TOKEN|SECRET|PASSWORD|PRIVATE|CREDENTIAL/i.test(name)) {
          expect({ where, ok: /_ARN$|_NAME$/.test(name) }).toEqual({ where, ok: true });
        }
        if (typeof value === 'string') {
          expect({ where, value }).not.toEqual({
            where,
            value: expect.stringMatching(/^Bot |sha256=|^whsec|^ghp_|^gh[sousr]_/),
          });
        }
        expect({ where, logsEvents: name === 'POWERTOOLS_LOGGER_LOG_EVENT' && value === 'true' }).toEqual({
          where,
          logsEvents: false,
        });
      }
    }
    expect(secretRefs).toBeGreaterThanOrEqual(2);
  });
});
