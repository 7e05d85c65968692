import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { Monitoring, type MonitoringProps } from '../../lib/constructs/monitoring';
import { actionsOf, functionId, roleStatements, unbundledApp } from './helpers';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:discord-token-AbCdEf`;
const OPS_CHANNEL = '123456789012345678';

/** Monitoring over imported resources, so the template holds only what the construct creates. */
function build(overrides: Partial<MonitoringProps> = {}): { stack: Stack; monitoring: Monitoring; template: Template } {
  const app = unbundledApp();
  const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
  const fn = (id: string, name: string) =>
    LambdaFunction.fromFunctionAttributes(stack, id, {
      functionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
      sameEnvironment: true,
    });
  const monitoring = new Monitoring(stack, 'Monitoring', {
    api: HttpApi.fromHttpApiAttributes(stack, 'Api', { httpApiId: 'api123' }),
    ingestFunction: fn('Ingest', 'ingest-fn'),
    workerFunction: fn('Worker', 'worker-fn'),
    queue: Queue.fromQueueArn(stack, 'Queue', `arn:aws:sqs:${REGION}:${ACCOUNT}:bridge-queue.fifo`),
    deadLetterQueue: Queue.fromQueueArn(stack, 'Dlq', `arn:aws:sqs:${REGION}:${ACCOUNT}:bridge-dlq.fifo`),
    alarmEmail: 'ops@example.com',
    opsChannel: { channelId: OPS_CHANNEL, tokenSecret: Secret.fromSecretCompleteArn(stack, 'Token', SECRET_ARN) },
    ...overrides,
  });
  return { stack, monitoring, template: Template.fromStack(stack) };
}

interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly metrics?: unknown[][] };
}

/** The dashboard body, with every CloudFormation token replaced by a placeholder so it parses as JSON. */
function dashboardWidgets(template: Template): Widget[] {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body: unknown = dashboard.Properties.DashboardBody;
  const text =
    typeof body === 'string'
      ? body
      : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
          .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
          .join('');
  return JSON.parse(text).widgets;
}

function metricsOf(template: Template, title: string): string {
  const widget = dashboardWidgets(template).find((w) => w.properties.title === title);
  if (widget === undefined) throw new Error(`no widget titled "${title}"`);
  return JSON.stringify(widget.properties.metrics);
}

function alarmWith(template: Template, descriptionStart: string): Record<string, unknown> {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
    String(a.Properties.AlarmDescription).startsWith(descriptionStart),
  );
  expect(found).toHaveLength(1);
  return found[0].Properties;
}

describe('dashboard', () => {
  const { template } = build();

  test('has no hard-coded name, and every widget the runbook mentions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: Match.absent() });
    expect(dashboardWidgets(template).map((w) => w.properties.title)).toEqual([
      undefined,
      'Alarms',
      'Deliveries received by event type',
      'Ingest responses',
      'Signature rejections and publish failures',
      'Ingest duration and errors',
      'Worker duration and errors',
      'Worker throttles and concurrency',
      'Queue depth and age of oldest message',
      'Dead-letter queue depth',
      'Discord requests by outcome',
      'End-to-end lag (GitHub to Discord), ms',
      'Deliveries ignored (by event type)',
      'Worker outcomes',
    ]);
  });

  test('deliveries received: a SEARCH over the EventType dimension of DeliveriesReceived', () => {
    expect(metricsOf(template, 'Deliveries received by event type')).toContain(
      `SEARCH('{DiscordPrThreads,EventType,service} MetricName=\\"DeliveriesReceived\\"', 'Sum', 300)`,
    );
  });

  test('ingest responses: 2xx derived from the API Count, 4xx and 5xx of this API', () => {
    const metrics = metricsOf(template, 'Ingest responses');
    for (const name of ['Count', '4xx', '5xx']) {
      expect(metrics).toContain(`["AWS/ApiGateway","${name}","ApiId","api123"`);
    }
    expect(metrics).toContain('FILL(total, 0) - FILL(c4xx, 0) - FILL(c5xx, 0)');
  });

  test('signature rejections and publish failures come from the ingest service', () => {
    const metrics = metricsOf(template, 'Signature rejections and publish failures');
    expect(metrics).toContain('["DiscordPrThreads","SignatureRejected","service","ingest"');
    expect(metrics).toContain('["DiscordPrThreads","PublishFailed","service","ingest"');
  });

  test('ingest and worker durations at p50 and p99, with their errors', () => {
    for (const [title, fn] of [
      ['Ingest duration and errors', 'ingest-fn'],
      ['Worker duration and errors', 'worker-fn'],
    ]) {
      const metrics = metricsOf(template, title);
      expect(metrics).toContain(
        `["AWS/Lambda","Duration","FunctionName","${fn}",{"label":"Duration p50","stat":"p50"}]`,
      );
      expect(metrics).toContain(
        `["AWS/Lambda","Duration","FunctionName","${fn}",{"label":"Duration p99","stat":"p99"}]`,
      );
      expect(metrics).toContain(`["AWS/Lambda","Errors","FunctionName","${fn}"`);
    }
  });

  test('worker throttles and concurrency', () => {
    const metrics = metricsOf(template, 'Worker throttles and concurrency');
    expect(metrics).toContain('["AWS/Lambda","Throttles","FunctionName","worker-fn"');
    expect(metrics).toContain('["AWS/Lambda","ConcurrentExecutions","FunctionName","worker-fn"');
  });

  test('queue depth, age of oldest message and dead-letter depth', () => {
    const queue = metricsOf(template, 'Queue depth and age of oldest message');
    expect(queue).toContain('["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","bridge-queue.fifo"');
    expect(queue).toContain('["AWS/SQS","ApproximateAgeOfOldestMessage","QueueName","bridge-queue.fifo"');
    expect(metricsOf(template, 'Dead-letter queue depth')).toContain(
      '["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","bridge-dlq.fifo"',
    );
  });

  test('Discord requests by outcome, end-to-end lag p50/p99 and deliveries ignored', () => {
    expect(metricsOf(template, 'Discord requests by outcome')).toContain(
      `SEARCH('{DiscordPrThreads,Outcome,service} MetricName=\\"DiscordRequests\\"', 'Sum', 300)`,
    );
    const lag = metricsOf(template, 'End-to-end lag (GitHub to Discord), ms');
    expect(lag).toContain(
      '["DiscordPrThreads","EndToEndLag","service","worker",{"label":"End-to-end lag p50","stat":"p50"}]',
    );
    expect(lag).toContain(
      '["DiscordPrThreads","EndToEndLag","service","worker",{"label":"End-to-end lag p99","stat":"p99"}]',
    );
    expect(metricsOf(template, 'Deliveries ignored (by event type)')).toContain(
      `SEARCH('{DiscordPrThreads} MetricName=\\"DeliveriesIgnored\\"', 'Sum', 300)`,
    );
  });

  test('its URL points at the dashboard in the stack region', () => {
    const { stack, monitoring } = build();
    expect(stack.resolve(monitoring.dashboardUrl)).toEqual({
      'Fn::Join': [
        '',
        [
          'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=',
          { Ref: stack.getLogicalId(monitoring.dashboard.node.defaultChild as never) },
        ],
      ],
    });
  });
});

describe('alarms', () => {
  const { stack, monitoring, template } = build();
  const topicRef = { Ref: stack.getLogicalId(monitoring.alarmTopic.node.defaultChild as never) };

  test('there are six, each notifying the alarm topic on ALARM and on OK', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(6);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
      expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
    }
    expect(Object.keys(monitoring.alarms)).toHaveLength(6);
  });

  test('DLQ not empty: any visible message in the dead-letter queue', () => {
    expect(alarmWith(template, 'Deliveries failed 5 times')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: 'bridge-dlq.fifo' }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
    });
  });

  test('oldest message older than 15 minutes by default, configurable', () => {
    expect(alarmWith(template, "A PR's events have waited")).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: 'bridge-queue.fifo' }],
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const custom = build({ thresholds: { oldestMessageAge: Duration.hours(1) } }).template;
    expect(alarmWith(custom, "A PR's events have waited")).toMatchObject({ Threshold: 3600 });
  });

  test('worker error rate: errors / invocations above 5% for 3 periods', () => {
    const alarm = alarmWith(template, 'More than 5% of worker invocations failed');
    expect(alarm).toMatchObject({
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    const metrics = JSON.stringify(alarm.Metrics);
    expect(metrics).toContain('IF(invocations > 0, 100 * errors / invocations, 0)');
    expect(metrics).toContain('"MetricName":"Errors"');
    expect(metrics).toContain('"MetricName":"Invocations"');
    expect(metrics).toContain('"Value":"worker-fn"');
  });

  test('ingest 5xx: any server error of the API', () => {
    expect(alarmWith(template, 'The webhook answered 5xx')).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: 'api123' }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('signature rejections spike: more than 20 in 5 minutes', () => {
    expect(alarmWith(template, 'More than 20 requests with a bad signature')).toMatchObject({
      Namespace: 'DiscordPrThreads',
      MetricName: 'SignatureRejected',
      Dimensions: [{ Name: 'service', Value: 'ingest' }],
      Period: 300,
      Threshold: 20,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('Discord 401/403: any of either outcome from the worker', () => {
    const alarm = alarmWith(template, 'Discord answered 401/403');
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const metrics = JSON.stringify(alarm.Metrics);
    expect(metrics).toContain('FILL(m401, 0) + FILL(m403, 0)');
    for (const code of ['401', '403']) {
      expect(metrics).toContain(
        `"Dimensions":[{"Name":"Outcome","Value":"${code}"},{"Name":"service","Value":"worker"}],"MetricName":"DiscordRequests","Namespace":"DiscordPrThreads"`,
      );
    }
  });
});

describe('alarm topic', () => {
  const { template } = build();

  test('is encrypted with a rotating key CloudWatch may use, SSL-only, and open to CloudWatch alarms of this account', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': ACCOUNT },
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
            },
          }),
        ]),
      },
    });
    const [policy] = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    expect(JSON.stringify(policy)).toContain(`:cloudwatch:${REGION}:${ACCOUNT}:alarm:*`);
  });

  test('emails the configured address, and has no email subscription without one', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const bare = build({ alarmEmail: undefined, opsChannel: undefined }).template;
    bare.resourceCountIs('AWS::SNS::Subscription', 0);
    bare.resourceCountIs('AWS::Lambda::Function', 0);
  });
});

describe('Discord notifier', () => {
  const { template } = build();
  const fnId = functionId(template, 'alarm notifier');

  test('is subscribed to the alarm topic and knows the channel and the secret ARN, never the token', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { DISCORD_TOKEN_SECRET_ARN: SECRET_ARN, OPS_CHANNEL_ID: OPS_CHANNEL } },
    });
  });

  test('least privilege: reads the token secret and writes its own logs, nothing else', () => {
    const statements = roleStatements(template, fnId);
    const secretReads = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secretReads).toHaveLength(1);
    expect([...actionsOf(secretReads[0])].sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(secretReads[0].Resource).toBe(SECRET_ARN);
    const others = statements.filter((s) => s !== secretReads[0]);
    for (const s of others) expect(actionsOf(s).every((a) => a.startsWith('logs:'))).toBe(true);
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });
});

test('invalid props fail at synth time with one sentence', () => {
  expect(() => build({ thresholds: { workerErrorRatePercent: 150 } })).toThrow(
    'Monitoring: workerErrorRatePercent must be between 0 and 100, got 150.',
  );
  expect(() => build({ alarmEmail: 'not-an-email' })).toThrow(
    'Monitoring: alarmEmail is not an email address: not-an-email.',
  );
  expect(() =>
    build({
      opsChannel: { channelId: '#ops', tokenSecret: Secret.fromSecretCompleteArn(new Stack(), 'S', SECRET_ARN) },
    }),
  ).toThrow('AlarmNotifier: channelId must be a Discord id (17-20 digits), got "#ops".');
});

test('AWS Solutions checks report nothing unacknowledged', () => {
  const { stack } = build();
  expect(findings(stack)).toEqual([]);
});

function findings(scope: IConstruct): string[] {
  return new AwsSolutionsChecks()
    .validateScope(scope)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`));
}
