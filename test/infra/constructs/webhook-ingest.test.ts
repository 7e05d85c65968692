import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { WebhookIngest } from '../../../lib/constructs/webhook-ingest';
import { actionsOf, bareStack, environmentOf, functionId, onlyResource, roleStatements } from '../helpers';

function build(props: Partial<ConstructorParameters<typeof WebhookIngest>[2]> = {}) {
  const stack = bareStack();
  const topicKey = new Key(stack, 'Key');
  const deps = {
    webhookSecret: new Secret(stack, 'Secret'),
    topic: new Topic(stack, 'Topic', { fifo: true, masterKey: topicKey }),
    topicKey,
    payloadBucket: new Bucket(stack, 'Bucket'),
  };
  const ingest = new WebhookIngest(stack, 'Ingest', { ...deps, ...props });
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  const fnId = functionId(template, 'ingest');
  return {
    ingest,
    template,
    fnId,
    ids: { secret: id(deps.webhookSecret), topic: id(deps.topic), key: id(topicKey), bucket: id(deps.payloadBucket) },
    statements: roleStatements(template, fnId),
  };
}

test('routes POST /webhooks/github to the ingest function', () => {
  const { template, fnId } = build();
  template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/github' });
  template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
    IntegrationType: 'AWS_PROXY',
    IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] },
    PayloadFormatVersion: '2.0',
  });
});

test('the route is the only one (no catch-all)', () => {
  build().template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
});

test('the function is small and answers well within GitHub’s 10 s', () => {
  build().template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 256, Timeout: 5 });
});

test('the stage throttles with the configured rate and burst', () => {
  build({ rateLimit: 7, burstLimit: 11 }).template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
    StageName: '$default',
    AutoDeploy: true,
    DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 11 },
  });
});

test('the stage throttles at 20 rps, burst 40 by default', () => {
  build().template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
    DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
  });
});

test('the stage writes JSON access logs, without headers, to its own log group', () => {
  const { ingest, template } = build();
  const stage = onlyResource(template, 'AWS::ApiGatewayV2::Stage').properties as {
    AccessLogSettings: { DestinationArn: unknown; Format: string };
  };
  const logGroupId = Stack.of(ingest).getLogicalId(ingest.accessLogs.node.defaultChild as never);
  expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
  const format = JSON.parse(stage.AccessLogSettings.Format);
  expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
  expect(stage.AccessLogSettings.Format).not.toMatch(/header|body/i);
});

test('the webhook URL carries the path', () => {
  const { ingest } = build();
  expect(ingest.webhookUrl.endsWith('/webhooks/github')).toBe(true);
});

test('the environment names the secret, topic and bucket, and nothing else secret', () => {
  const { template, fnId, ids } = build({ maxBodyBytes: 1_000_000 });
  expect(environmentOf(template, fnId)).toEqual({
    WEBHOOK_SECRET_ARN: { Ref: ids.secret },
    TOPIC_ARN: { Ref: ids.topic },
    PAYLOAD_BUCKET: { Ref: ids.bucket },
    MAX_BODY_BYTES: '1000000',
    POWERTOOLS_SERVICE_NAME: 'ingest',
    POWERTOOLS_METRICS_NAMESPACE: 'DiscordPrThreads',
    NODE_OPTIONS: '--enable-source-maps',
  });
});

test('MAX_BODY_BYTES defaults to the 6 MB API Gateway → Lambda limit', () => {
  const { template, fnId } = build();
  expect(environmentOf(template, fnId).MAX_BODY_BYTES).toBe(String(6 * 1024 * 1024));
});

test('may read the webhook secret only', () => {
  const { statements, ids } = build();
  const reads = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
  expect(reads).toEqual([
    expect.objectContaining({
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      Resource: { Ref: ids.secret },
    }),
  ]);
});

test('may publish to the topic only, with the key actions SNS encryption needs', () => {
  const { statements, ids } = build();
  expect(statements).toContainEqual(
    expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: ids.topic } }),
  );
  expect(statements).toContainEqual(
    expect.objectContaining({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [ids.key, 'Arn'] },
    }),
  );
});

test('may put claim-check objects but not read, list or delete them', () => {
  const { statements, ids } = build();
  const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
  expect(s3).toEqual([
    expect.objectContaining({
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/*']] },
    }),
  ]);
});

test('has no DynamoDB, SQS or wildcard access', () => {
  const { statements } = build();
  const actions = statements.flatMap(actionsOf);
  expect(actions.filter((a) => /^(dynamodb|sqs):/.test(a) || a.includes('*'))).toEqual([]);
  expect(statements.filter((s) => s.Resource === '*')).toEqual([]);
});

test('refuses a body limit above what API Gateway can hand to Lambda', () => {
  expect(() => build({ maxBodyBytes: 7 * 1024 * 1024 })).toThrow(/maxBodyBytes/);
});

test('refuses a standard (non-FIFO) topic', () => {
  const stack = bareStack();
  expect(
    () =>
      new WebhookIngest(stack, 'Ingest', {
        webhookSecret: new Secret(stack, 'Secret'),
        topic: new Topic(stack, 'Topic'),
        payloadBucket: new Bucket(stack, 'Bucket'),
      }),
  ).toThrow(/FIFO/);
});

test('the API is an HTTP API with a description', () => {
  build().template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
    Description: Match.stringLikeRegexp('GitHub'),
    ProtocolType: 'HTTP',
  });
});
