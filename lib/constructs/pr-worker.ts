import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BridgeConfig } from '../../lambdas/core/types';
import { DISCORD_API_URL, MIN_SQS_MAX_CONCURRENCY } from '../config';
import { BridgeFunction } from './bridge-function';
import { VISIBILITY_TIMEOUT_FACTOR } from './event-pipeline';

/** Item-level DynamoDB actions the stores use: no Scan, no Query, no table administration. */
const TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
/** Lambda's environment holds at most 4 KB; leave room for the ARNs and names beside the bridge config. */
export const MAX_BRIDGE_CONFIG_BYTES = 3000;
/** SQS FIFO batches hold at most 10 messages. */
const MAX_BATCH_SIZE = 10;

export interface PrWorkerProps {
  /** SQS FIFO queue the worker consumes. */
  readonly queue: IQueue;
  /** The queue's visibility timeout: at least 6 × {@link timeout}; a delivery claim's lease is this minus {@link timeout}. */
  readonly queueVisibilityTimeout: Duration;
  /** Secret holding the Discord bot token; the function may read it. */
  readonly discordToken: ISecret;
  /** Delivery records (dedupe and leases). */
  readonly deliveries: ITable;
  /** Thread state per repository + PR. */
  readonly threads: ITable;
  /** Claim-check bucket; the function may only get objects. */
  readonly payloadBucket: IBucket;
  /** Routing, mentions and noise policy, already validated; reaches the function as `BRIDGE_CONFIG`. */
  readonly bridgeConfig: BridgeConfig;
  /** Discord REST base URL (`DISCORD_API_URL`). @default https://discord.com/api */
  readonly discordApiUrl?: string;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Concurrent invocations the event source may run (2-1000), to stay under Discord's limits. @default 2 */
  readonly maxConcurrency?: number;
  /** Messages per invocation (1-10). @default 10 */
  readonly batchSize?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The worker Lambda behind the FIFO queue: batches of up to 10 with partial batch failures, bounded concurrency,
 * and grants limited to what its environment names.
 */
export class PrWorker extends Construct {
  public readonly function: BridgeFunction;
  public readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: PrWorkerProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(30);
    const maxConcurrency = props.maxConcurrency ?? MIN_SQS_MAX_CONCURRENCY;
    const batchSize = props.batchSize ?? MAX_BATCH_SIZE;
    if (props.queueVisibilityTimeout.toSeconds() < VISIBILITY_TIMEOUT_FACTOR * timeout.toSeconds()) {
      throw new Error('PrWorker: queueVisibilityTimeout must be at least 6 × the worker timeout.');
    }
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < MIN_SQS_MAX_CONCURRENCY || maxConcurrency > 1000) {
      throw new Error(`PrWorker: maxConcurrency must be a whole number from 2 to 1000, got ${maxConcurrency}.`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
      throw new Error(`PrWorker: batchSize must be a whole number from 1 to 10, got ${batchSize}.`);
    }
    if (!props.queue.fifo) throw new Error('PrWorker: queue must be an SQS FIFO queue.');
    const bridgeConfig = JSON.stringify(props.bridgeConfig);
    if (Buffer.byteLength(bridgeConfig) > MAX_BRIDGE_CONFIG_BYTES) {
      throw new Error(
        `PrWorker: the bridge config is ${Buffer.byteLength(bridgeConfig)} bytes as JSON, over the ${MAX_BRIDGE_CONFIG_BYTES} bytes that fit in the Lambda environment.`,
      );
    }

    this.function = new BridgeFunction(this, 'Function', {
      entry: 'lambdas/worker/handler.ts',
      description: 'discord-pr-threads worker: turns queued GitHub deliveries into Discord thread updates',
      memorySize: 512,
      timeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
      environment: {
        DISCORD_TOKEN_SECRET_ARN: props.discordToken.secretArn,
        DELIVERIES_TABLE: props.deliveries.tableName,
        THREADS_TABLE: props.threads.tableName,
        PAYLOAD_BUCKET: props.payloadBucket.bucketName,
        BRIDGE_CONFIG: bridgeConfig,
        DISCORD_API_URL: props.discordApiUrl ?? DISCORD_API_URL,
        // An attempt claims its delivery within `timeout` of receiving it, so a lease of visibility − timeout
        // outlasts any attempt yet has always expired when the queue makes the message visible again: the retry of
        // a crashed attempt never finds its claim still busy.
        CLAIM_LEASE_SECONDS: String(props.queueVisibilityTimeout.toSeconds() - timeout.toSeconds()),
        POWERTOOLS_SERVICE_NAME: 'worker',
        POWERTOOLS_METRICS_NAMESPACE: 'DiscordPrThreads',
      },
    });
    props.discordToken.grantRead(this.function);
    props.deliveries.grant(this.function, ...TABLE_ACTIONS);
    props.threads.grant(this.function, ...TABLE_ACTIONS);
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [props.payloadBucket.arnForObjects('*')] }),
    );
    this.eventSource = new SqsEventSource(props.queue, {
      batchSize,
      reportBatchItemFailures: true,
      maxConcurrency,
    });
    this.function.addEventSource(this.eventSource);
  }
}
