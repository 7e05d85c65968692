import { Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DiscordPrThreadsStack } from '../../lib/stack';
import {
  actionsOf,
  environmentOf,
  exampleConfig,
  functionId,
  roleStatements,
  type Statement,
  synthStack,
  unbundledApp,
} from './helpers';

const { stack, template } = synthStack();
const resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> = template.toJSON().Resources;
const outputs: Record<string, { Value: unknown }> = template.toJSON().Outputs;
const ingestId = functionId(template, 'ingest');
const workerId = functionId(template, 'worker');
const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const idOfType = (type: string, n = 0) => Object.keys(template.findResources(type))[n];
/** Renders a CloudFormation value with `${LogicalId}` for refs, to compare outputs by shape. */
const render = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return `\${${v.Ref}}`;
  if ('Fn::GetAtt' in v) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  return JSON.stringify(v);
};

describe('outputs', () => {
  test('WebhookUrl is the full https URL of the webhook route', () => {
    expect(render(outputs.WebhookUrl.Value)).toBe(
      `https://\${${logicalId(stack.api)}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/webhooks/github`,
    );
  });

  test.each([
    ['WebhookSecretName', 'SecretsWebhookSecret'],
    ['DiscordTokenSecretName', 'SecretsDiscordToken'],
  ])('%s names the secret', (name, secretId) => {
    expect(JSON.stringify(outputs[name].Value)).toMatch(
      new RegExp(`^\\{"Fn::Join":\\["-",.*\\{"Ref":"${secretId}\\w+"\\}`),
    );
  });

  test('GetWebhookSecretCommand prints the webhook secret string', () => {
    expect(render(outputs.GetWebhookSecretCommand.Value)).toMatch(
      /^aws secretsmanager get-secret-value --secret-id \$\{SecretsWebhookSecret\w+\} --region \$\{AWS::Region\} --query SecretString --output text$/,
    );
  });

  test('SetDiscordTokenCommand puts the token into the token secret', () => {
    expect(render(outputs.SetDiscordTokenCommand.Value)).toMatch(
      /^aws secretsmanager put-secret-value --secret-id \$\{SecretsDiscordToken\w+\} --region \$\{AWS::Region\} --secret-string <token>$/,
    );
  });

  test.each([
    ['QueueUrl', () => logicalId(stack.queue as never)],
    ['DeadLetterQueueUrl', () => logicalId(stack.deadLetterQueue as never)],
    ['DeliveriesTableName', () => idOfType('AWS::DynamoDB::Table', 0)],
    ['ThreadsTableName', () => idOfType('AWS::DynamoDB::Table', 1)],
    ['PayloadBucketName', () => idOfType('AWS::S3::Bucket')],
  ])('%s refers to its resource', (name, id) => {
    expect(outputs[name].Value).toEqual({ Ref: id() });
  });

  test('every output has a description', () => {
    for (const [name, output] of Object.entries(
      template.toJSON().Outputs as Record<string, { Description?: string }>,
    )) {
      expect([name, Boolean(output.Description)]).toEqual([name, true]);
    }
  });
});

describe('wiring', () => {
  test('the worker consumes the pipeline queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.queue as never), 'Arn'] },
      FunctionName: { Ref: workerId },
    });
  });

  test('ingest publishes to the pipeline topic', () => {
    expect(environmentOf(template, ingestId).TOPIC_ARN).toEqual({ Ref: logicalId(stack.topic as never) });
  });

  test('the worker timeout and queue visibility come from the deployment config', () => {
    const { template: t } = synthStack({ workerTimeoutSeconds: 60 });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'discord-pr-threads worker: turns queued GitHub deliveries into Discord thread updates',
      Timeout: 60,
    });
    t.hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true, VisibilityTimeout: 360 });
  });

  test('the stack exposes the resources monitoring and operations watch', () => {
    const id = (c: unknown) => logicalId(c as never);
    expect([id(stack.ingestFunction), id(stack.workerFunction)]).toEqual([ingestId, workerId]);
    expect(resources[id(stack.api)].Type).toBe('AWS::ApiGatewayV2::Api');
    expect(resources[id(stack.topic)].Type).toBe('AWS::SNS::Topic');
    expect(resources[id(stack.queue)].Properties?.RedrivePolicy).toEqual(
      expect.objectContaining({ deadLetterTargetArn: { 'Fn::GetAtt': [id(stack.deadLetterQueue), 'Arn'] } }),
    );
    expect(environmentOf(template, workerId).DISCORD_TOKEN_SECRET_ARN).toEqual({ Ref: id(stack.discordTokenSecret) });
    expect(environmentOf(template, workerId).DELIVERIES_TABLE).toEqual({ Ref: id(stack.deliveriesTable) });
  });
});

describe('security', () => {
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );

  test('no identity policy grants on every resource', () => {
    expect(
      statements.filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))),
    ).toEqual([]);
  });

  test('no identity policy grants a wildcard action', () => {
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
  });

  test('ingest has no DynamoDB access', () => {
    expect(
      roleStatements(template, ingestId)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('dynamodb:')),
    ).toEqual([]);
  });

  test('ingest cannot read the Discord token', () => {
    const tokenId = logicalId(stack.node.findChild('Secrets').node.findChild('DiscordToken') as never);
    expect(JSON.stringify(roleStatements(template, ingestId))).not.toContain(tokenId);
  });

  test('the worker cannot publish to the topic or read the webhook secret', () => {
    const worker = roleStatements(template, workerId);
    const webhookSecretId = logicalId(stack.node.findChild('Secrets').node.findChild('WebhookSecret') as never);
    expect(worker.flatMap(actionsOf)).not.toContain('sns:Publish');
    expect(JSON.stringify(worker)).not.toContain(webhookSecretId);
  });

  test('environment variables hold only names, ARNs and settings', () => {
    const literalKeys = (id: string) =>
      Object.entries(environmentOf(template, id))
        .filter(([, v]) => typeof v === 'string')
        .map(([k]) => k)
        .sort();
    expect(literalKeys(ingestId)).toEqual([
      'MAX_BODY_BYTES',
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ]);
    expect(literalKeys(workerId)).toEqual([
      'BRIDGE_CONFIG',
      'CLAIM_LEASE_SECONDS',
      'DISCORD_API_URL',
      'NODE_OPTIONS',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ]);
  });

  test('no secret value appears in the template', () => {
    const text = JSON.stringify(template.toJSON());
    expect(text.match(/"SecretString":|\{\{resolve:secretsmanager/g)).toBeNull();
  });

  test('no resource has a hard-coded physical name (generated names carry the stack name)', () => {
    const nameProps = [
      'TableName',
      'QueueName',
      'TopicName',
      'BucketName',
      'FunctionName',
      'RoleName',
      'LogGroupName',
      'Name',
    ];
    const named = Object.entries(resources).flatMap(([id, r]) =>
      nameProps
        .filter((p) => typeof r.Properties?.[p] === 'string' && !String(r.Properties[p]).startsWith(stack.stackName))
        .map((p) => `${id}.${p}=${r.Properties?.[p]}`),
    );
    expect(named).toEqual([]);
  });
});

test('two copies deploy side by side in one app', () => {
  const app = unbundledApp();
  const a = new DiscordPrThreadsStack(app, 'Prod', { config: exampleConfig() });
  const b = new DiscordPrThreadsStack(app, 'Staging', { config: exampleConfig() });
  expect(() => app.synth()).not.toThrow();
  expect([Stack.of(a).stackName, Stack.of(b).stackName]).toEqual(['Prod', 'Staging']);
  expect(Template.fromStack(b).toJSON().Outputs.WebhookUrl).toBeDefined();
});

test('the stack is environment-agnostic (no account or region needed to synthesize)', () => {
  expect([Token.isUnresolved(stack.account), Token.isUnresolved(stack.region)]).toEqual([true, true]);
});
