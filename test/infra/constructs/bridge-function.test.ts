import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BridgeFunction } from '../../../lib/constructs/bridge-function';
import { bareStack, onlyResource } from '../helpers';

function build(props: Partial<ConstructorParameters<typeof BridgeFunction>[2]> = {}) {
  const stack = bareStack();
  const fn = new BridgeFunction(stack, 'Fn', {
    entry: 'lambdas/ingest/handler.ts',
    description: 'test function',
    ...props,
  });
  return { fn, template: Template.fromStack(stack) };
}

test('runs Node.js 22 on arm64', () => {
  build().template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs22.x',
    Architectures: ['arm64'],
  });
});

test('uses the house memory and timeout unless told otherwise', () => {
  build().template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 256, Timeout: 10 });
  build({ memorySize: 512, timeout: Duration.seconds(30) }).template.hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 512,
    Timeout: 30,
  });
});

test('logs JSON at INFO into its own log group', () => {
  const { template } = build();
  const logGroup = onlyResource(template, 'AWS::Logs::LogGroup');
  template.hasResourceProperties('AWS::Lambda::Function', {
    LoggingConfig: {
      LogFormat: 'JSON',
      ApplicationLogLevel: 'INFO',
      SystemLogLevel: 'WARN',
      LogGroup: { Ref: logGroup.id },
    },
  });
});

test('the log group keeps the configured retention and removal policy', () => {
  const { template } = build({ logRetention: RetentionDays.ONE_WEEK, logRemovalPolicy: RemovalPolicy.DESTROY });
  template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
});

test('log groups are retained for a month by default', () => {
  build().template.hasResource('AWS::Logs::LogGroup', {
    Properties: { RetentionInDays: 30 },
    DeletionPolicy: 'Retain',
  });
});

test('enables source maps beside the caller environment', () => {
  build({ environment: { FOO: 'bar' } }).template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: { FOO: 'bar', NODE_OPTIONS: '--enable-source-maps' } },
  });
});

test('the role has no managed policy and may write only to its own log group', () => {
  const { template } = build();
  const logGroup = onlyResource(template, 'AWS::Logs::LogGroup');
  template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logGroup.id, 'Arn'] },
        },
      ],
    },
  });
});

test('sets an explicit description', () => {
  build().template.hasResourceProperties('AWS::Lambda::Function', { Description: 'test function' });
});

test('refuses an environment that overrides NODE_OPTIONS', () => {
  expect(() => build({ environment: { NODE_OPTIONS: '--inspect' } })).toThrow(/NODE_OPTIONS/);
});
