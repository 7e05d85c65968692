import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { DELIVERIES_TABLE, THREADS_TABLE } from '../../lambdas/adapters/tables';

export interface TablesProps {
  /** What happens to both tables (and their data) when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The bridge's state, on demand with point-in-time recovery and AWS-managed encryption; the key layouts
 * come from `lambdas/adapters/tables.ts`, the same constants the stores and the local mode use.
 * - `deliveries`: one item per `X-GitHub-Delivery` (dedupe and leases), expired by TTL on `expiresAt`.
 * - `threads`: Discord thread state per repository + PR.
 */
export class Tables extends Construct {
  public readonly deliveries: Table;
  public readonly threads: Table;

  constructor(scope: Construct, id: string, props: TablesProps = {}) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };
    this.deliveries = new Table(this, 'Deliveries', {
      ...common,
      partitionKey: { name: DELIVERIES_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: DELIVERIES_TABLE.ttlAttribute,
    });
    this.threads = new Table(this, 'Threads', {
      ...common,
      partitionKey: { name: THREADS_TABLE.partitionKey, type: AttributeType.STRING },
    });
  }
}
