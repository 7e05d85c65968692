/**
 * BUNDLE TESTS: the code that would be uploaded, run like Lambda runs it.
 *
 * The real app is synthesized once, with esbuild bundling and cdk-nag on, into a temp dir. Each function's asset
 * directory (found from the template's Code.S3Key through the asset manifest) is copied alone to a temp task root
 * outside the repository and invoked in a fresh `node` process per event, with the template's environment
 * (Refs resolved to the stand-ins' names and ARNs), fake credentials, and every AWS endpoint on loopback:
 * SNS / Secrets Manager / S3 stand-ins (test/bundle/aws-standins.ts), dynalite for DynamoDB (tables created
 * from the template's key schemas), the Discord emulator for Discord, and a trap for any other AWS service.
 * The driver refuses every non-loopback connection and reports it, so "no real AWS call" is checked, not hoped.
 *
 * Catches what unit tests cannot: a module missing from the bundle, an ESM/CJS mismatch, a wrong handler path,
 * an environment variable the stack forgot, a lazily imported client that esbuild left out.
 */

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, type CreateTableCommandInput, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Envelope } from '../../lambdas/core/types';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { startTestDiscord, type TestDiscord } from '../helpers/emulator';
import { example, prPayload } from '../helpers/payloads';
import { apiGatewayEvent, signedRequest } from '../helpers/signed-request';
import { sqsFifoEvent, sqsRecord } from '../helpers/sqs';
import {
  type PublishedMessage,
  type S3Standin,
  type SecretsManagerStandin,
  type SnsStandin,
  startS3,
  startSecretsManager,
  startSns,
  startTrap,
} from './aws-standins';
import { type IdProxy, startIdProxy } from './discord-id-proxy';
import { type AwsEndpoints, describeRun, FAKE_ACCESS_KEY_ID, type Invocation, LambdaSandbox } from './run-bundle';
import { isRecord, REGION, type SynthesizedApp, synthesizeApp, type TemplateValue } from './synth';

type IngestResult = APIGatewayProxyStructuredResultV2;

/** What each handler reads from its environment (lambdas/ingest/handler.ts, lambdas/worker/runtime.ts). */
const INGEST_NEEDS = ['WEBHOOK_SECRET_ARN', 'TOPIC_ARN', 'PAYLOAD_BUCKET', 'MAX_BODY_BYTES'] as const;
const WORKER_NEEDS = [
  'DISCORD_TOKEN_SECRET_ARN',
  'DELIVERIES_TABLE',
  'THREADS_TABLE',
  'PAYLOAD_BUCKET',
  'BRIDGE_CONFIG',
  'DISCORD_API_URL',
  'CLAIM_LEASE_SECONDS',
] as const;

/** Size budgets of the uploaded handler files (Lambda's own limit is 250 MB unzipped; these catch regressions). */
const BUNDLE_BUDGET_BYTES = { ingest: 1_000_000, worker: 2_500_000 } as const;

/** Requires the bundles may keep: the SDK loads its CRT signer only if installed, inside a try/catch. */
const OPTIONAL_REQUIRES = new Set(['@aws-sdk/signature-v4-crt']);

const WEBHOOK_SECRET = 'bundle-test-webhook-secret-5d2e9c';
const ROOT = path.resolve(__dirname, '..', '..');
const LOOPBACK_URL = /^http:\/\/127\.0\.0\.1:\d+(\/|$)/;

let app: SynthesizedApp;
let ingest: LambdaSandbox;
let worker: LambdaSandbox;
let secrets: SecretsManagerStandin;
let sns: SnsStandin;
let s3: S3Standin;
let trap: Awaited<ReturnType<typeof startTrap>>;
let dynamo: TestDynamo;
let discord: TestDiscord;
let proxy: IdProxy;
let endpoints: AwsEndpoints;
let bridgeConfig: { guildId: string; defaultChannelId: string; channels: Record<string, string> };
/** Secrets that must never appear in a bundle's output. */
const secretValues: string[] = [WEBHOOK_SECRET];

/** Each table of the template, created in dynalite under its stand-in name with the template's key schema. */
async function createTemplateTables(): Promise<void> {
  const list = (value: TemplateValue | undefined) => (Array.isArray(value) ? value.filter(isRecord) : []);
  for (const id of app.idsOf('AWS::DynamoDB::Table')) {
    const props = app.resources[id]?.Properties ?? {};
    const input: CreateTableCommandInput = {
      TableName: app.physicalId(id),
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: list(props.KeySchema).map((k) => ({
        AttributeName: String(k.AttributeName),
        KeyType: k.KeyType === 'RANGE' ? 'RANGE' : 'HASH',
      })),
      AttributeDefinitions: list(props.AttributeDefinitions).map((a) => ({
        AttributeName: String(a.AttributeName),
        AttributeType: a.AttributeType === 'N' ? 'N' : a.AttributeType === 'B' ? 'B' : 'S',
      })),
    };
    await dynamo.client.send(new CreateTableCommand(input));
    for (;;) {
      const out = await dynamo.client.send(new DescribeTableCommand({ TableName: input.TableName }));
      if (out.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

beforeAll(async () => {
  app = synthesizeApp();
  const ingestFn = app.fn('ingest:');
  const workerFn = app.fn('worker:');
  ingest = new LambdaSandbox(ingestFn, { requires: INGEST_NEEDS });
  // The template points DISCORD_API_URL at Discord itself: the one override allowed, to the emulator (via the id proxy).
  worker = new LambdaSandbox(workerFn, { requires: WORKER_NEEDS, overridable: ['DISCORD_API_URL'] });

  [secrets, sns, s3, trap, dynamo, discord] = await Promise.all([
    startSecretsManager(),
    startSns(),
    startS3(),
    startTrap(),
    startDynalite(),
    startTestDiscord(),
  ]);
  await createTemplateTables();
  for (const id of app.idsOf('AWS::SNS::Topic')) {
    const props = app.resources[id]?.Properties ?? {};
    sns.addTopic(app.physicalId(id), {
      fifo: props.FifoTopic === true,
      contentBasedDeduplication: props.ContentBasedDeduplication === true,
    });
  }
  for (const id of app.idsOf('AWS::S3::Bucket')) s3.addBucket(app.physicalId(id));
  secrets.put(ingestFn.environment.WEBHOOK_SECRET_ARN, JSON.stringify({ current: WEBHOOK_SECRET }));
  secrets.put(workerFn.environment.DISCORD_TOKEN_SECRET_ARN, discord.token);
  secretValues.push(discord.token);

  bridgeConfig = JSON.parse(workerFn.environment.BRIDGE_CONFIG);
  proxy = await startIdProxy(
    discord.emu.url,
    new Map([
      [bridgeConfig.guildId, discord.guildId],
      [bridgeConfig.defaultChannelId, discord.textChannelId],
      ...Object.values(bridgeConfig.channels).map((id): [string, string] => [id, discord.forumChannelId]),
    ]),
  );
  endpoints = {
    AWS_ENDPOINT_URL_SNS: sns.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL: trap.url,
  };
});

afterAll(async () => {
  ingest?.dispose();
  worker?.dispose();
  await Promise.all([secrets?.close(), sns?.close(), s3?.close(), trap?.close(), proxy?.close()]);
  await Promise.all([dynamo?.close(), discord?.close()]);
});

// ------------------------------------------------------------------------------------------ helpers

/** Fails with the run's output when it did not complete; checks it stayed on loopback and printed no secret. */
function completed<R>(run: Invocation<R>): R {
  if (run.status !== 'ok') throw new Error(`The bundle did not complete: ${describeRun(run)}`);
  expect(run.blocked).toEqual([]);
  expect(run.resolvable).toEqual([]);
  expect(trap.requests).toEqual([]);
  const output = run.stdout + run.stderr;
  for (const value of secretValues) expect(output).not.toContain(value);
  return run.result as R;
}

const invokeIngest = (event: unknown) => ingest.invoke<IngestResult>(event, endpoints);
const invokeWorker = (records: readonly SQSRecord[]) =>
  worker.invoke<SQSBatchResponse>(sqsFifoEvent(records), endpoints, { overrides: { DISCORD_API_URL: proxy.url } });

function prRequest(deliveryId: string, payload: unknown = example('pull_request', 'opened')) {
  const req = signedRequest({ event: 'pull_request', payload, secret: WEBHOOK_SECRET, deliveryId });
  const signature = req.headers['x-hub-signature-256'];
  if (signature !== undefined) secretValues.push(signature);
  return req;
}

/** Publishes made during `act`. */
async function publishedDuring<T>(act: () => Promise<T>): Promise<{ value: T; published: PublishedMessage[] }> {
  const before = sns.published.length;
  const value = await act();
  return { value, published: sns.published.slice(before) };
}

/** The SQS FIFO record Lambda receives for an SNS publish (raw message delivery: body = the message). */
function sqsRecordOf(message: PublishedMessage, receiveCount = 1): SQSRecord {
  const record = sqsRecord(message.message, receiveCount);
  return {
    ...record,
    attributes: {
      ...record.attributes,
      MessageGroupId: message.messageGroupId ?? '',
      MessageDeduplicationId: message.messageDeduplicationId ?? '',
      ...(message.sequenceNumber === undefined ? {} : { SequenceNumber: message.sequenceNumber }),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([name, attr]) => [
        name,
        { dataType: attr.dataType, stringValue: attr.value, stringListValues: [], binaryListValues: [] },
      ]),
    ),
  };
}

/** Runs the ingest bundle on a signed delivery and returns the one message it published. */
async function ingestOne(deliveryId: string, payload?: unknown): Promise<PublishedMessage> {
  const { value: run, published } = await publishedDuring(() =>
    invokeIngest(apiGatewayEvent(prRequest(deliveryId, payload))),
  );
  const result = completed(run);
  if (result.statusCode !== 202) throw new Error(`Ingest answered ${result.statusCode}: ${describeRun(run)}`);
  expect(published).toHaveLength(1);
  return published[0];
}

const textThreads = () => discord.emu.state.threads({ parentId: discord.textChannelId });
const tableName = (envName: 'DELIVERIES_TABLE' | 'THREADS_TABLE') => app.fn('worker:').environment[envName];

// ------------------------------------------------------------------------------------------ the bundles themselves

describe('the synthesized bundles', () => {
  test('each function has a bundled CommonJS handler at its handler path, within its size budget, requiring only Node built-ins', () => {
    const builtins = new Set(builtinModules);
    console.log(`bundles run on node ${process.version} here; the functions' runtime is ${app.fn('ingest:').runtime}`);
    for (const [word, budget] of Object.entries(BUNDLE_BUDGET_BYTES)) {
      const fn = app.fn(`${word}:`);
      expect(fn.handler).toBe('index.handler');
      expect(fn.runtime).toBe('nodejs22.x');
      const file = path.join(fn.assetDir, 'index.js');
      const bytes = statSync(file).size;
      const mapBytes = statSync(`${file}.map`).size;
      console.log(
        `${word} bundle: index.js ${(bytes / 1024).toFixed(1)} KiB (budget ${(budget / 1024).toFixed(0)} KiB), source map ${(mapBytes / 1024).toFixed(1)} KiB`,
      );
      expect(bytes).toBeLessThanOrEqual(budget);
      expect(mapBytes).toBeGreaterThan(0);
      const code = readFileSync(file, 'utf8');
      expect(code).toMatch(/module\.exports\s*=/);
      expect(code).not.toMatch(/^\s*(import|export)\s[^(]/m);
      const specifiers = [...code.matchAll(/\b(?:require|import)\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
      const external = [...new Set(specifiers)].filter((s) => !builtins.has(s.replace(/^node:/, '')));
      // The SDK is bundled (bridge-function.ts: externalModules []); its optional CRT signer is a guarded require.
      expect(external.filter((s) => !OPTIONAL_REQUIRES.has(s))).toEqual([]);
    }
  });

  test('the template gives each function every variable its handler reads, and the runs get loopback endpoints only', () => {
    const ingestEnv = app.fn('ingest:').environment;
    const workerEnv = app.fn('worker:').environment;
    expect(INGEST_NEEDS.filter((name) => !ingestEnv[name])).toEqual([]);
    expect(WORKER_NEEDS.filter((name) => !workerEnv[name])).toEqual([]);
    const seen = [ingest.environment(endpoints), worker.environment(endpoints, { DISCORD_API_URL: proxy.url })];
    for (const env of seen) {
      const endpointVars = Object.entries(env).filter(([name]) => name.startsWith('AWS_ENDPOINT_URL'));
      expect(endpointVars.map(([name]) => name).sort()).toEqual(Object.keys(endpoints).sort());
      for (const [, value] of endpointVars) expect(value).toMatch(LOOPBACK_URL);
      expect(env.AWS_ACCESS_KEY_ID).toBe(FAKE_ACCESS_KEY_ID);
      expect(env.NODE_PATH).toBe('');
    }
    // The template sends the worker to Discord itself; the runs replace that one value with the emulator (via the proxy).
    expect(app.fn('worker:').rawEnvironment.DISCORD_API_URL).toBe('https://discord.com/api');
    expect(seen[1].DISCORD_API_URL).toMatch(LOOPBACK_URL);
    // Task roots live outside the repository: a require cannot fall back on its node_modules.
    for (const sandbox of [ingest, worker]) expect(path.relative(ROOT, sandbox.taskRoot).startsWith('..')).toBe(true);
    expect(() => ingest.environment(endpoints, { TOPIC_ARN: 'arn:aws:sns:eu-west-1:1:other.fifo' })).toThrow(
      /may not be overridden/,
    );
  });

  test('the sandbox fails like Lambda would: a require outside the bundle, a wrong handler path, a forgotten variable', async () => {
    // A fabricated "bundle" that leaves a dependency external: it resolves in the repository, not in the sandbox.
    const assetDir = mkdtempSync(path.join(tmpdir(), 'dpt-fabricated-asset-'));
    writeFileSync(
      path.join(assetDir, 'index.js'),
      "exports.handler = async () => require('zod').z.string().parse('resolved');\n",
    );
    const fabricated = { ...app.fn('ingest:'), logicalId: 'Fabricated', assetDir, environment: {} };
    expect(require.resolve('zod')).toContain(ROOT);
    const external = new LambdaSandbox(fabricated, { requires: [] });
    const wrongPath = new LambdaSandbox({ ...fabricated, handler: 'lambdas/ingest/handler.handler' }, { requires: [] });
    try {
      const missing = await external.invoke({}, endpoints);
      expect(missing.status).toBe('error');
      expect(missing.error?.message).toContain("Cannot find module 'zod'");
      const notFound = await wrongPath.invoke({}, endpoints);
      expect(notFound.status).toBe('init-error');
      expect(notFound.error?.message).toContain('Runtime.ImportModuleError');
    } finally {
      external.dispose();
      wrongPath.dispose();
      rmSync(assetDir, { recursive: true, force: true });
    }
    expect(() => new LambdaSandbox(fabricated, { requires: ['TOPIC_ARN'] })).toThrow(
      /Environment\.Variables lack TOPIC_ARN, which the handler reads/,
    );
  });

  test('the driver refuses non-loopback connections: without its endpoint setting, the SNS publish is blocked, not sent', async () => {
    const { value: run, published } = await publishedDuring(() =>
      ingest.invoke<IngestResult>(apiGatewayEvent(prRequest('c0ffee00-0000-4000-8000-00000000b10c')), endpoints, {
        unset: ['AWS_ENDPOINT_URL_SNS', 'AWS_ENDPOINT_URL'],
      }),
    );
    if (run.status !== 'ok' || run.blocked.length === 0) throw new Error(describeRun(run));
    expect(run.blocked).toContain(`sns.${REGION}.amazonaws.com:443`);
    expect(run.blocked.every((target) => target === `sns.${REGION}.amazonaws.com:443`)).toBe(true);
    expect(run.result?.statusCode).toBe(502);
    expect(published).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------ ingest

describe('ingest bundle (API Gateway HTTP API v2 events)', () => {
  const topicArn = () => app.physicalId(app.idsOf('AWS::SNS::Topic').find((id) => id.startsWith('Pipeline')) ?? '');

  test.each([
    ['utf-8 body', false, 'a1000000-0000-4000-8000-000000000001'],
    ['isBase64Encoded body', true, 'a1000000-0000-4000-8000-000000000002'],
  ])(
    'a signed pull_request.opened (%s) → 202 and exactly one FIFO publish keyed by PR and delivery',
    async (_, base64, deliveryId) => {
      const payload = example('pull_request', 'opened');
      const req = prRequest(deliveryId, payload);
      const { value: run, published } = await publishedDuring(() => invokeIngest(apiGatewayEvent(req, { base64 })));
      expect(completed(run)).toEqual({
        statusCode: 202,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accepted: true, deliveryId }),
      });
      expect(published).toHaveLength(1);
      const [message] = published;
      expect(message.topicArn).toBe(topicArn());
      expect(message.messageGroupId).toBe(`${payload.repository.id}#${payload.number}`);
      expect(message.messageDeduplicationId).toBe(deliveryId);
      expect(message.attributes).toEqual({
        event: { dataType: 'String', value: 'pull_request' },
        action: { dataType: 'String', value: 'opened' },
        deliveryId: { dataType: 'String', value: deliveryId },
      });
      const envelope = JSON.parse(message.message) as Envelope;
      expect(envelope).toMatchObject({
        v: 1,
        deliveryId,
        event: 'pull_request',
        action: 'opened',
        prNumber: payload.number,
      });
      expect(envelope.body).toBe(req.body.toString('utf8'));
      // Signed with the fake credentials for the stack's region: the SDK's own request, answered by the stand-ins.
      const signers = [...secrets.requests, ...sns.requests].map((r) => r.signedBy);
      expect(signers).toContainEqual({ accessKeyId: FAKE_ACCESS_KEY_ID, region: REGION, service: 'sns' });
      expect(signers).toContainEqual({ accessKeyId: FAKE_ACCESS_KEY_ID, region: REGION, service: 'secretsmanager' });
      expect(secrets.reads).toContain(app.fn('ingest:').environment.WEBHOOK_SECRET_ARN);
    },
  );

  test('one mutated body byte → 401, nothing published', async () => {
    const req = prRequest('a1000000-0000-4000-8000-000000000003');
    const body = Buffer.from(req.body);
    body[body.length >> 1] ^= 0x01;
    const { value: run, published } = await publishedDuring(() => invokeIngest(apiGatewayEvent({ ...req, body })));
    expect(completed(run).statusCode).toBe(401);
    expect(published).toEqual([]);
  });

  test('a missing X-GitHub-Event header → 400, nothing published', async () => {
    const req = signedRequest({
      event: 'pull_request',
      payload: example('pull_request', 'opened'),
      secret: WEBHOOK_SECRET,
      headers: { 'x-github-event': undefined },
    });
    const { value: run, published } = await publishedDuring(() => invokeIngest(apiGatewayEvent(req)));
    expect(completed(run).statusCode).toBe(400);
    expect(published).toEqual([]);
  });

  test('ping → 200, nothing published', async () => {
    const req = signedRequest({ event: 'ping', payload: example('ping'), secret: WEBHOOK_SECRET });
    const { value: run, published } = await publishedDuring(() => invokeIngest(apiGatewayEvent(req)));
    const result = completed(run);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(String(result.body))).toMatchObject({ ok: true });
    expect(published).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------ worker

describe('worker bundle (SQS FIFO events of what the ingest bundle published)', () => {
  const deliveryId = 'b2000000-0000-4000-8000-000000000001';
  let message: PublishedMessage;

  test('the published envelope as an SQS FIFO record → no failures; the emulator holds the thread; state and delivery saved', async () => {
    const payload = example('pull_request', 'opened');
    message = await ingestOne(deliveryId, payload);
    const run = await invokeWorker([sqsRecordOf(message)]);
    expect(completed(run)).toEqual({ batchItemFailures: [] });

    const threads = textThreads();
    expect(threads).toHaveLength(1);
    expect(threads[0].name).toContain(`#${payload.number}`);
    expect(threads[0].name).toContain(payload.pull_request.title);
    expect(threads[0].private).toBe(false);
    // Text channels: the summary is posted in the channel and the thread is started from it.
    const starter = discord.emu.state.message(threads[0].starterMessageId ?? '');
    expect(starter).toMatchObject({ channelId: discord.textChannelId, threadId: threads[0].id, deleted: false });
    expect(starter?.authorId).toBe(discord.emu.botUserId);
    expect(JSON.stringify([starter?.content, starter?.embeds])).toContain(payload.pull_request.html_url);

    const state = await dynamo.doc.send(
      new GetCommand({
        TableName: tableName('THREADS_TABLE'),
        Key: { key: `${payload.repository.id}#${payload.number}` },
      }),
    );
    expect(state.Item).toMatchObject({ threadId: threads[0].id, channelId: bridgeConfig.defaultChannelId });
    const record = await dynamo.doc.send(
      new GetCommand({ TableName: tableName('DELIVERIES_TABLE'), Key: { id: deliveryId } }),
    );
    expect(record.Item).toMatchObject({ id: deliveryId, status: 'done' });
    expect(secrets.reads).toContain(app.fn('worker:').environment.DISCORD_TOKEN_SECRET_ARN);
  });

  test('the same event again (a fresh process, as after a redelivery) → no failures, no second thread, no new message', async () => {
    if (message === undefined) throw new Error('The previous test did not get a published envelope.');
    const before = textThreads().map((t) => ({ id: t.id, messages: t.messages.length }));
    const run = await invokeWorker([sqsRecordOf(message, 2)]);
    expect(completed(run)).toEqual({ batchItemFailures: [] });
    expect(textThreads().map((t) => ({ id: t.id, messages: t.messages.length }))).toEqual(before);
  });

  test('a malformed record is reported in batchItemFailures; the other group in the batch goes on', async () => {
    if (message === undefined) throw new Error('The first worker test did not get a published envelope.');
    const requestsBefore = discord.emu.state.requests().length;
    const bad = sqsRecord('{"not":"an envelope"}');
    const run = await invokeWorker([bad, sqsRecordOf(message, 3)]);
    expect(completed(run)).toEqual({ batchItemFailures: [{ itemIdentifier: bad.messageId }] });
    expect(discord.emu.state.requests().length).toBe(requestsBefore);
  });

  test('a batch of only malformed records fails the invocation (Powertools FullBatchFailureError): the queue retries it all', async () => {
    const bad = sqsRecord('not json');
    const run = await invokeWorker([bad]);
    expect(run.status).toBe('error');
    expect(run.error?.name).toBe('FullBatchFailureError');
    expect(run.stderr).toContain('Queue message is not JSON');
    expect(run.blocked).toEqual([]);
  });

  test('a body over the SNS inline limit travels by claim check: ingest puts it in S3, the worker reads it back', async () => {
    const payload = prPayload({ number: 4242, title: 'Large description', body: 'x'.repeat(300_000) });
    const published = await ingestOne('b2000000-0000-4000-8000-000000000042', payload);
    const envelope = JSON.parse(published.message) as Envelope;
    expect(envelope.body).toBeUndefined();
    expect(envelope.bodyRef?.bucket).toBe(app.fn('ingest:').environment.PAYLOAD_BUCKET);
    expect(s3.objects.get(`${envelope.bodyRef?.bucket}/${envelope.bodyRef?.key}`)?.toString('utf8')).toBe(
      JSON.stringify(payload),
    );

    const run = await invokeWorker([sqsRecordOf(published)]);
    expect(completed(run)).toEqual({ batchItemFailures: [] });
    expect(textThreads().filter((t) => t.name.includes('#4242'))).toHaveLength(1);
    expect(s3.requests.map((r) => r.method)).toEqual(['PUT', 'GET']);
  });
});
