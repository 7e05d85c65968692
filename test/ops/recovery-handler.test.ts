import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createDeliveryStore } from '../../lambdas/adapters/dynamo';
import { createSecretCache } from '../../lambdas/adapters/secrets';
import { createRecoveryHandler, deliveryDoneCheck, readRecoveryEnv } from '../../lambdas/recovery/handler';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { delivery, type FakeGitHub, recorder, startFakeGitHub } from './fake-github';

const NOW = Date.parse('2025-06-10T12:00:00Z');
const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:github-token-AbCdEf';
const TOKEN = 'github_pat_neverLogMe_0123456789';

let dynamo: TestDynamo;
let github: FakeGitHub;
const sm = mockClient(SecretsManagerClient);

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.close();
});

beforeEach(async () => {
  github = await startFakeGitHub();
  sm.reset();
  sm.on(GetSecretValueCommand, { SecretId: TOKEN_ARN }).resolves({ SecretString: `${TOKEN}\n` });
});

afterEach(async () => {
  await github.close();
});

test('reads its configuration from the environment and names what is missing', () => {
  const env = readRecoveryEnv({
    GITHUB_TOKEN_SECRET_ARN: TOKEN_ARN,
    RECOVERY_HOOKS: JSON.stringify([{ kind: 'org', org: 'acme', hookId: 7 }]),
    DELIVERIES_TABLE: 'deliveries',
  });
  expect(env).toEqual({
    tokenSecretArn: TOKEN_ARN,
    hooks: [{ kind: 'org', org: 'acme', hookId: 7 }],
    deliveriesTable: 'deliveries',
  });
  expect(() => readRecoveryEnv({ GITHUB_TOKEN_SECRET_ARN: TOKEN_ARN, DELIVERIES_TABLE: 'd' })).toThrow(
    'Environment variable RECOVERY_HOOKS is not set.',
  );
});

test('the done check sees only deliveries the worker completed', async () => {
  const store = createDeliveryStore({ doc: dynamo.doc, table: dynamo.tables.deliveries });
  expect(await store.claim('done-1', NOW - 60_000, 30_000)).toBe('claimed');
  await store.complete('done-1', NOW - 50_000);
  expect(await store.claim('busy-1', NOW - 1_000, 300_000)).toBe('claimed');

  const isDone = deliveryDoneCheck(dynamo.doc, dynamo.tables.deliveries, () => NOW);

  expect(await isDone('done-1')).toBe(true);
  expect(await isDone('busy-1')).toBe(false);
  expect(await isDone('never-seen')).toBe(false);
});

test('one scheduled run: token from Secrets Manager, processed deliveries skipped, the lost one redelivered', async () => {
  const store = createDeliveryStore({ doc: dynamo.doc, table: dynamo.tables.deliveries });
  expect(await store.claim('h-processed', NOW - 3_600_000, 30_000)).toBe('claimed');
  await store.complete('h-processed', NOW - 3_590_000);
  const lost = delivery('h-lost', new Date(NOW - 1_800_000), 502);
  github.setDeliveries('/repos/acme/widgets/hooks/5', [delivery('h-processed', new Date(NOW - 3_600_000), 500), lost]);
  const rec = recorder();
  let flushed = 0;

  const run = createRecoveryHandler({
    env: {
      tokenSecretArn: TOKEN_ARN,
      hooks: [{ kind: 'repo', owner: 'acme', repo: 'widgets', hookId: 5 }],
      deliveriesTable: dynamo.tables.deliveries,
      githubApiUrl: github.url,
    },
    secrets: createSecretCache({ client: new SecretsManagerClient({ region: 'us-east-1' }) }),
    doc: dynamo.doc,
    log: rec.log,
    metrics: { ...rec.metrics, flush: () => flushed++ },
    now: () => NOW,
  });

  await expect(run()).resolves.toEqual({ scanned: 2, failed: 2, redelivered: 1, skipped: 1, errors: 0 });
  expect(github.redeliveries.get('/repos/acme/widgets/hooks/5')).toEqual([lost.id]);
  expect(github.requests[0].authorization).toBe(`Bearer ${TOKEN}`);
  expect(flushed).toBe(1);
  expect(JSON.stringify(rec.lines)).not.toContain(TOKEN);
});
