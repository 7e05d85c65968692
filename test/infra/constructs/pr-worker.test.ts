import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { parseBridgeConfig } from '../../../lambdas/core/config';
import { PrWorker } from '../../../lib/constructs/pr-worker';
import { actionsOf, bareStack, environmentOf, functionId, roleStatements } from '../helpers';

const bridgeConfig = parseBridgeConfig({ guildId: '111111111111111111', defaultChannelId: '222222222222222222' });

function build(props: Partial<ConstructorParameters<typeof PrWorker>[2]> = {}) {
  const stack = bareStack();
  const table = (id: string) => new Table(stack, id, { partitionKey: { name: 'k', type: AttributeType.STRING } });
  const deps = {
    queue: new Queue(stack, 'Queue', { fifo: true, visibilityTimeout: Duration.seconds(180) }),
    queueVisibilityTimeout: Duration.seconds(180),
    discordToken: new Secret(stack, 'Token'),
    deliveries: table('Deliveries'),
    threads: table('Threads'),
    payloadBucket: new Bucket(stack, 'Bucket'),
    bridgeConfig,
  };
  const worker = new PrWorker(stack, 'Worker', { ...deps, ...props });
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  const fnId = functionId(template, 'worker');
  return {
    worker,
    template,
    fnId,
    ids: {
      queue: id(deps.queue),
      token: id(deps.discordToken),
      deliveries: id(deps.deliveries),
      threads: id(deps.threads),
      bucket: id(deps.payloadBucket),
    },
    statements: roleStatements(template, fnId),
  };
}

test('consumes the queue in batches of at most 10', () => {
  const { template, ids } = build();
  template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
    BatchSize: 10,
  });
});

test('reports partial batch failures', () => {
  build().template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    FunctionResponseTypes: ['ReportBatchItemFailures'],
  });
});

test('bounds concurrency to the configured maximum', () => {
  build({ maxConcurrency: 5 }).template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    ScalingConfig: { MaximumConcurrency: 5 },
  });
});

test('runs at most 2 concurrent invocations by default', () => {
  build().template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
    ScalingConfig: { MaximumConcurrency: 2 },
  });
});

test('has 512 MB and a 30 s timeout by default', () => {
  build().template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 512, Timeout: 30 });
});

test('the environment carries names, ARNs and the validated bridge config', () => {
  const { template, fnId, ids } = build({ discordApiUrl: 'https://nirn.example.com/api' });
  expect(environmentOf(template, fnId)).toEqual({
    DISCORD_TOKEN_SECRET_ARN: { Ref: ids.token },
    DELIVERIES_TABLE: { Ref: ids.deliveries },
    THREADS_TABLE: { Ref: ids.threads },
    PAYLOAD_BUCKET: { Ref: ids.bucket },
    BRIDGE_CONFIG: JSON.stringify(bridgeConfig),
    DISCORD_API_URL: 'https://nirn.example.com/api',
    CLAIM_LEASE_SECONDS: '150',
    POWERTOOLS_SERVICE_NAME: 'worker',
    POWERTOOLS_METRICS_NAMESPACE: 'DiscordPrThreads',
    NODE_OPTIONS: '--enable-source-maps',
  });
});

test('the bridge config in the environment parses back to the same config', () => {
  const { template, fnId } = build();
  expect(parseBridgeConfig(JSON.parse(String(environmentOf(template, fnId).BRIDGE_CONFIG)))).toEqual(bridgeConfig);
});

test('DISCORD_API_URL defaults to Discord', () => {
  const { template, fnId } = build();
  expect(environmentOf(template, fnId).DISCORD_API_URL).toBe('https://discord.com/api');
});

test('a claim lease is the queue visibility timeout minus the worker timeout (expired before the retry)', () => {
  const { template, fnId } = build({ queueVisibilityTimeout: Duration.seconds(600) });
  expect(environmentOf(template, fnId).CLAIM_LEASE_SECONDS).toBe('570');
});

test('may read and write items of both tables, nothing more', () => {
  const { statements, ids } = build();
  const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
  const items = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
  expect(dynamo).toEqual([
    expect.objectContaining({ Action: items, Resource: [{ 'Fn::GetAtt': [ids.deliveries, 'Arn'] }] }),
    expect.objectContaining({ Action: items, Resource: [{ 'Fn::GetAtt': [ids.threads, 'Arn'] }] }),
  ]);
});

test('may not scan or administer tables', () => {
  const actions = build().statements.flatMap(actionsOf);
  expect(
    actions.filter((a) => /^dynamodb:(Scan|Query|Batch|Create|Delete(Table)|Update(Table)|Describe)/.test(a)),
  ).toEqual([]);
});

test('may read the token secret only', () => {
  const { statements, ids } = build();
  const reads = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
  expect(reads).toEqual([
    expect.objectContaining({
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: { Ref: ids.token },
    }),
  ]);
});

test('may get claim-check objects but not write them', () => {
  const { statements, ids } = build();
  const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
  expect(s3).toEqual([
    expect.objectContaining({
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/*']] },
    }),
  ]);
});

test('may consume its queue and cannot publish or send', () => {
  const { statements, ids } = build();
  expect(statements).toContainEqual(
    expect.objectContaining({
      Action: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
      Resource: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
    }),
  );
  const actions = statements.flatMap(actionsOf);
  expect(actions.filter((a) => a === 'sns:Publish' || a === 'sqs:SendMessage')).toEqual([]);
});

test('has no wildcard resources', () => {
  expect(build().statements.filter((s) => s.Resource === '*')).toEqual([]);
});

test('refuses a visibility timeout under 6 × the worker timeout', () => {
  expect(() => build({ timeout: Duration.seconds(31) })).toThrow(/6 × the worker timeout/);
});

test.each([1, 1001, 2.5])('refuses maxConcurrency %p', (maxConcurrency) => {
  expect(() => build({ maxConcurrency })).toThrow(/maxConcurrency/);
});

test.each([0, 11])('refuses batchSize %p', (batchSize) => {
  expect(() => build({ batchSize })).toThrow(/batchSize/);
});

test('refuses a standard (non-FIFO) queue', () => {
  const stack = bareStack();
  expect(
    () =>
      new PrWorker(stack, 'W', {
        queue: new Queue(stack, 'Q', { visibilityTimeout: Duration.seconds(180) }),
        queueVisibilityTimeout: Duration.seconds(180),
        discordToken: new Secret(stack, 'T'),
        deliveries: new Table(stack, 'D', { partitionKey: { name: 'k', type: AttributeType.STRING } }),
        threads: new Table(stack, 'H', { partitionKey: { name: 'k', type: AttributeType.STRING } }),
        payloadBucket: new Bucket(stack, 'B'),
        bridgeConfig,
      }),
  ).toThrow(/FIFO/);
});

test('refuses a bridge config too large for the Lambda environment', () => {
  const users = Object.fromEntries(
    Array.from({ length: 120 }, (_, i) => [`user-${i}`, `1${String(i).padStart(17, '0')}`]),
  );
  expect(() => build({ bridgeConfig: { ...bridgeConfig, users } })).toThrow(/Lambda environment/);
});
