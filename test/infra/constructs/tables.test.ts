import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Tables } from '../../../lib/constructs/tables';
import { bareStack } from '../helpers';

function build(removalPolicy?: RemovalPolicy) {
  const stack = bareStack();
  const tables = new Tables(stack, 'Tables', { removalPolicy });
  const template = Template.fromStack(stack);
  const props = (table: 'deliveries' | 'threads') =>
    template.toJSON().Resources[stack.getLogicalId(tables[table].node.defaultChild as never)].Properties;
  return { template, props };
}

test('deliveries are keyed by the delivery id', () => {
  expect(build().props('deliveries').KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
});

test('deliveries expire by TTL on expiresAt', () => {
  expect(build().props('deliveries').TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
});

test('threads are keyed by repository + PR', () => {
  expect(build().props('threads').KeySchema).toEqual([{ AttributeName: 'key', KeyType: 'HASH' }]);
});

test.each(['deliveries', 'threads'] as const)('%s: on demand, with point-in-time recovery', (table) => {
  const props = build().props(table);
  expect(props.BillingMode).toBe('PAY_PER_REQUEST');
  expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
});

test.each(['deliveries', 'threads'] as const)('%s: encrypted with the AWS-managed key', (table) => {
  expect(build().props(table).SSESpecification).toEqual({ SSEEnabled: true });
});

test('no table has a physical name', () => {
  build().template.allResourcesProperties('AWS::DynamoDB::Table', { TableName: Match.absent() });
});

test('tables are retained by default', () => {
  build().template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
});

test('tables follow the destroy policy when asked', () => {
  build(RemovalPolicy.DESTROY).template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
});
