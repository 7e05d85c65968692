import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Receives after which a message moves to the dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;
/** The queue's visibility timeout is this many times the consumer's timeout (AWS guidance for Lambda). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** SQS's longest visibility timeout. */
const MAX_VISIBILITY_TIMEOUT = Duration.hours(12);
/** How long a message may wait in the queue, then in the dead-letter queue (FIFO resets its age when it moves). */
export const QUEUE_RETENTION = Duration.days(4);
export const DEAD_LETTER_RETENTION = Duration.days(14);

export interface EventPipelineProps {
  /** Timeout of the function consuming the queue; the visibility timeout is 6 × this. */
  readonly consumerTimeout: Duration;
  /**
   * Days the SNS FIFO topic archives messages for replay (1-365). Claim-check objects live as long, and at least as
   * long as a message can stay in the queue and then the dead-letter queue (18 days), so no pointer outlives its body.
   * @default 14
   */
  readonly archiveRetentionDays?: number;
  /** Removal policy of the topic key and the claim-check bucket. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The ordered, durable path from ingest to the worker:
 * SNS FIFO topic (KMS, archive for replay, SSL-only) → SQS FIFO queue (raw delivery, SSE-SQS, SSL-only)
 * → FIFO dead-letter queue after 5 receives; plus the S3 claim-check bucket for bodies too large for SNS.
 */
export class EventPipeline extends Construct {
  public readonly topicKey: Key;
  public readonly topic: Topic;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly payloadBucket: Bucket;
  /** Visibility timeout of {@link queue}: a consumer attempt that crashed is retried after this. */
  public readonly visibilityTimeout: Duration;
  /** Days after which claim-check objects expire. */
  public readonly payloadExpiryDays: number;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    const archiveDays = props.archiveRetentionDays ?? 14;
    if (!Number.isInteger(archiveDays) || archiveDays < 1 || archiveDays > 365) {
      throw new Error(`EventPipeline: archiveRetentionDays must be a whole number from 1 to 365, got ${archiveDays}.`);
    }
    this.visibilityTimeout = Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR);
    if (this.visibilityTimeout.toSeconds() > MAX_VISIBILITY_TIMEOUT.toSeconds()) {
      throw new Error('EventPipeline: consumerTimeout × 6 exceeds the 12-hour SQS visibility timeout limit.');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.payloadExpiryDays = Math.max(archiveDays, QUEUE_RETENTION.toDays() + DEAD_LETTER_RETENTION.toDays());

    this.topicKey = new Key(this, 'TopicKey', {
      description: 'Encrypts the GitHub deliveries on the discord-pr-threads SNS FIFO topic',
      enableKeyRotation: true,
      removalPolicy,
    });
    this.topic = new Topic(this, 'Topic', {
      displayName: 'GitHub deliveries for discord-pr-threads',
      fifo: true,
      contentBasedDeduplication: false,
      masterKey: this.topicKey,
      messageRetentionPeriodInDays: archiveDays,
      enforceSSL: true,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new Queue(this, 'Queue', {
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: QUEUE_RETENTION,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    // SSE-SQS needs no key policy for SNS to deliver; raw delivery hands the envelope through unchanged.
    this.topic.addSubscription(new SqsSubscription(this.queue, { rawMessageDelivery: true }));

    this.payloadBucket = new Bucket(this, 'PayloadBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-claim-checks', expiration: Duration.days(this.payloadExpiryDays) }],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
  }
}
