/**
 * The worker Lambda handler on SQS FIFO batches: real DynamoDB adapter on dynalite (reached through
 * AWS_ENDPOINT_URL_DYNAMODB), the Discord emulator through @discordjs/rest, Secrets Manager mocked at the edge.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { Envelope } from '../../../lambdas/core/types';
import { captureOutput } from '../../helpers/capture-logs';
import { startDynalite, type TestDynamo } from '../../helpers/dynalite';
import { startTestDiscord, type TestDiscord } from '../../helpers/emulator';
import { envelopeFor } from '../../helpers/envelopes';
import { prPayload } from '../../helpers/payloads';
import { sqsFifoEvent, sqsRecord } from '../../helpers/sqs';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const secrets = mockClient(SecretsManagerClient);
let discord: TestDiscord;
let dynamo: TestDynamo;
let handler: Handler;
const saved = { ...process.env };
const context = { awsRequestId: 'req-1', functionName: 'worker' } as Context;

beforeAll(async () => {
  discord = await startTestDiscord();
  dynamo = await startDynalite();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: discord.token });
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    DISCORD_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:discord-token',
    DELIVERIES_TABLE: dynamo.tables.deliveries,
    THREADS_TABLE: dynamo.tables.threads,
    BRIDGE_CONFIG: JSON.stringify({ guildId: discord.guildId, defaultChannelId: discord.textChannelId }),
    DISCORD_API_URL: discord.emu.url,
    CLAIM_LEASE_SECONDS: '180',
    POWERTOOLS_METRICS_NAMESPACE: 'DiscordPrThreads',
  });
  ({ handler } = await import('../../../lambdas/worker/handler'));
});

afterAll(async () => {
  process.env = saved;
  secrets.restore();
  await discord.close();
  await dynamo.close();
});

let counter = 0;
function envelope(overrides: Parameters<typeof prPayload>[0], repositoryId: number): Envelope {
  const payload = prPayload(overrides);
  (payload.repository as { id: number }).id = repositoryId;
  counter += 1;
  return envelopeFor('pull_request', payload, `handler-${counter}`);
}

const threadNames = () =>
  discord.emu.state
    .threads({ parentId: discord.textChannelId })
    .map((t) => t.name)
    .sort();

test('a failed record fails the later records of its PR group only; other groups go on', async () => {
  const a1 = envelope({ number: 1, title: 'A' }, 1);
  const sync = envelope({ number: 1, action: 'synchronize' }, 1);
  // A payload the planner rejects (no head branch): this record fails, so a3 must wait behind it.
  const broken = JSON.parse(sync.body!);
  delete broken.pull_request.head;
  const a2: Envelope = { ...sync, body: JSON.stringify(broken) };
  const a3 = envelope({ number: 1, action: 'ready_for_review' }, 1);
  const b1 = envelope({ number: 2, title: 'B' }, 1);
  const c1 = envelope({ number: 3, title: 'C' }, 2);
  const records = [a1, a2, b1, a3, c1].map((e) => sqsRecord(e));
  const result = await handler(sqsFifoEvent(records), context);
  expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([records[1].messageId, records[3].messageId]);
  expect(threadNames()).toEqual(['PR #1 · A', 'PR #2 · B', 'PR #3 · C']);

  const retry = await handler(sqsFifoEvent([sqsRecord(sync, 2), sqsRecord(a3, 2)]), context);
  expect(retry.batchItemFailures).toEqual([]);
  const thread = discord.emu.state.threads({ parentId: discord.textChannelId }).find((t) => t.name === 'PR #1 · A');
  expect(discord.emu.state.messages(thread!.id)).toHaveLength(2);
});

test('a malformed queue message fails alone, with a clear error in the logs', async () => {
  const out = captureOutput();
  try {
    const good = envelope({ number: 4, title: 'D' }, 3);
    const records = [sqsRecord('{"not":"an envelope"}'), sqsRecord(good)];
    const result = await handler(sqsFifoEvent(records), context);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([records[0].messageId]);
    expect(out.lines().join('\n')).toContain('Queue message is not an envelope');
  } finally {
    out.restore();
  }
});

test('log lines carry the delivery id and never the bot token', async () => {
  const out = captureOutput();
  let lines: string[];
  try {
    const e = envelope({ number: 5, title: 'E' }, 3);
    await handler(sqsFifoEvent([sqsRecord(e)]), context);
    lines = out.lines();
    expect(lines.some((l) => l.includes(e.deliveryId))).toBe(true);
  } finally {
    out.restore();
  }
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.join('\n')).not.toContain(discord.token);
});

test('while the token secret holds the stack placeholder, records fail without calling Discord', async () => {
  secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"placeholder":"set me"}' });
  jest.resetModules();
  const fresh: { handler: Handler } = await import('../../../lambdas/worker/handler');
  const before = discord.emu.state.requests().length;
  const e = envelope({ number: 6, title: 'F' }, 4);
  const result = await fresh.handler(sqsFifoEvent([sqsRecord(e)]), context).catch((err: Error) => err);
  expect(result).toBeInstanceOf(Error); // the whole batch failed: Powertools throws, every record is retried
  expect(discord.emu.state.requests().length).toBe(before);
  secrets.on(GetSecretValueCommand).resolves({ SecretString: discord.token });
});
