import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../../lambdas/core/config';
import { FailedDeliveryRecovery, type FailedDeliveryRecoveryProps } from '../../lib/constructs/recovery';
import { actionsOf, environmentOf, functionId, roleStatements, unbundledApp } from './helpers';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:github-token-AbCdEf`;
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/bridge-deliveries`;
const HOOKS = [
  { kind: 'repo', owner: 'acme', repo: 'widgets', hookId: 11 },
  { kind: 'org', org: 'acme', hookId: 22 },
] as const;

function build(overrides: Partial<FailedDeliveryRecoveryProps> = {}): {
  stack: Stack;
  recovery: FailedDeliveryRecovery;
  template: Template;
} {
  const stack = new Stack(unbundledApp(), 'Test', { env: { account: ACCOUNT, region: REGION } });
  const recovery = new FailedDeliveryRecovery(stack, 'Recovery', {
    githubToken: Secret.fromSecretCompleteArn(stack, 'GitHubToken', SECRET_ARN),
    hooks: HOOKS,
    deliveriesTable: Table.fromTableArn(stack, 'Deliveries', TABLE_ARN),
    ...overrides,
  });
  return { stack, recovery, template: Template.fromStack(stack) };
}

describe('schedule', () => {
  const { template } = build();
  const fnId = functionId(template, 'recovery job');
  const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule'));

  test('runs every 15 minutes by default, always on', () => {
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
    });
    expect(schedule.Properties.Name).toBeUndefined();
  });

  test('targets the recovery function with a short retry policy that never piles runs up', () => {
    expect(schedule.Properties.Target).toMatchObject({
      Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 900 },
    });
  });

  test('the interval is configurable, and must be whole minutes within a day', () => {
    const hourly = build({ interval: Duration.hours(1) }).template;
    const [s] = Object.values(hourly.findResources('AWS::Scheduler::Schedule'));
    expect(s.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(s.Properties.Target.RetryPolicy.MaximumEventAgeInSeconds).toBe(3600);
    expect(() => build({ interval: Duration.seconds(30) })).toThrow(/interval must be whole minutes/);
    expect(() => build({ interval: Duration.days(2) })).toThrow(/interval must be whole minutes/);
  });

  test("the scheduler's own role may only invoke the recovery function, for this account's schedules", () => {
    const roleId: string = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(roleId).toMatch(/^RecoverySchedulerRole/);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
          },
        ],
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [{ 'Fn::GetAtt': [fnId, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId, 'Arn'] }, ':*']] }],
      },
    ]);
  });
});

describe('recovery function', () => {
  const { template } = build();
  const fnId = functionId(template, 'recovery job');

  test('gets the hooks, the table name and the secret ARN, never the token', () => {
    expect(environmentOf(template, fnId)).toMatchObject({
      GITHUB_TOKEN_SECRET_ARN: SECRET_ARN,
      RECOVERY_HOOKS: JSON.stringify(HOOKS),
      DELIVERIES_TABLE: 'bridge-deliveries',
    });
    expect(environmentOf(template, fnId).GITHUB_API_URL).toBeUndefined();
    const enterprise = build({ githubApiUrl: 'https://ghe.example.com/api/v3' }).template;
    expect(environmentOf(enterprise, functionId(enterprise, 'recovery job')).GITHUB_API_URL).toBe(
      'https://ghe.example.com/api/v3',
    );
  });

  test('least privilege: reads the token secret, gets delivery items, writes its own logs', () => {
    const statements = roleStatements(template, fnId);
    const byService = (prefix: string) => statements.filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)));
    const [secret] = byService('secretsmanager:');
    expect([...actionsOf(secret)].sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(secret.Resource).toBe(SECRET_ARN);
    const dynamo = byService('dynamodb:');
    expect(dynamo).toEqual([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: [TABLE_ARN] }]);
    const rest = statements.filter((s) => s !== secret && s !== dynamo[0]);
    for (const s of rest) expect(actionsOf(s).every((a) => a.startsWith('logs:'))).toBe(true);
  });
});

test('invalid hooks fail at synth time naming the field', () => {
  expect(() => build({ hooks: [] })).toThrow(ConfigError);
  expect(() => build({ hooks: [{ kind: 'org', org: 'acme', hookId: 0 }] })).toThrow(/recovery\.hooks\.0\.hookId/);
});

test('adds its widget to a dashboard and a "keeps failing" alarm on the alarm topic when given', () => {
  const stack = new Stack(unbundledApp(), 'WithMonitoring', { env: { account: ACCOUNT, region: REGION } });
  const topic = new Topic(stack, 'Alarms');
  const dashboard = new Dashboard(stack, 'Dashboard');
  new FailedDeliveryRecovery(stack, 'Recovery', {
    githubToken: Secret.fromSecretCompleteArn(stack, 'GitHubToken', SECRET_ARN),
    hooks: HOOKS,
    deliveriesTable: Table.fromTableArn(stack, 'Deliveries', TABLE_ARN),
    dashboard,
    alarmTopic: topic,
  });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    Namespace: 'DiscordPrThreads',
    MetricName: 'RecoveryErrors',
    Dimensions: [{ Name: 'service', Value: 'recovery' }],
    Period: 900,
    Threshold: 0,
    EvaluationPeriods: 3,
    TreatMissingData: 'breaching',
    AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as never) }],
  });
  const [board] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = JSON.stringify(board.Properties.DashboardBody);
  for (const name of ['RecoveryFailed', 'RecoveryRedelivered', 'RecoverySkipped', 'RecoveryErrors']) {
    expect(body).toContain(`\\"DiscordPrThreads\\",\\"${name}\\",\\"service\\",\\"recovery\\"`);
  }
});

test('AWS Solutions checks report nothing unacknowledged', () => {
  const { stack } = build();
  const findings = new AwsSolutionsChecks()
    .validateScope(stack)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`));
  expect(findings).toEqual([]);
});
