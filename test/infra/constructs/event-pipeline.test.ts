import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventPipeline, MAX_RECEIVE_COUNT } from '../../../lib/constructs/event-pipeline';
import { bareStack, onlyResource } from '../helpers';

function build(props: Partial<ConstructorParameters<typeof EventPipeline>[2]> = {}) {
  const stack = bareStack();
  const pipeline = new EventPipeline(stack, 'Pipeline', { consumerTimeout: Duration.seconds(30), ...props });
  return { pipeline, template: Template.fromStack(stack) };
}

/** The two queues, told apart by the redrive policy only the main queue has. */
function queues(template: Template) {
  const all = Object.entries(template.findResources('AWS::SQS::Queue'));
  const main = all.find(([, q]) => q.Properties.RedrivePolicy !== undefined);
  const dlq = all.find(([, q]) => q.Properties.RedrivePolicy === undefined);
  if (all.length !== 2 || !main || !dlq) throw new Error('expected a queue and a dead-letter queue');
  return { mainId: main[0], main: main[1].Properties, dlqId: dlq[0], dlq: dlq[1].Properties };
}

const sslDeny = (action: string | ReturnType<typeof Match.anyValue>) =>
  Match.objectLike({
    Effect: 'Deny',
    Action: action,
    Principal: Match.anyValue(),
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  });

describe('topic', () => {
  test('is FIFO without content-based deduplication (the delivery id is the deduplication id)', () => {
    build().template.hasResourceProperties('AWS::SNS::Topic', {
      FifoTopic: true,
      ContentBasedDeduplication: false,
    });
  });

  test('archives messages for replay for the configured number of days', () => {
    build({ archiveRetentionDays: 30 }).template.hasResourceProperties('AWS::SNS::Topic', {
      ArchivePolicy: { MessageRetentionPeriod: 30 },
    });
  });

  test('archives for 14 days by default', () => {
    build().template.hasResourceProperties('AWS::SNS::Topic', { ArchivePolicy: { MessageRetentionPeriod: 14 } });
  });

  test('is encrypted with a customer-managed key that rotates', () => {
    const { template } = build();
    const key = onlyResource(template, 'AWS::KMS::Key');
    expect(key.properties.EnableKeyRotation).toBe(true);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key.id, 'Arn'] } });
  });

  test('denies publishing without TLS', () => {
    build().template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([sslDeny('sns:Publish')]) },
    });
  });

  test('delivers raw messages to the queue', () => {
    const { template } = build();
    const { mainId } = queues(template);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      RawMessageDelivery: true,
      Endpoint: { 'Fn::GetAtt': [mainId, 'Arn'] },
    });
  });
});

describe('queue', () => {
  test('is FIFO', () => {
    expect(queues(build().template).main.FifoQueue).toBe(true);
  });

  test('moves a message to the dead-letter queue after 5 receives', () => {
    const { main, dlqId } = queues(build().template);
    expect(MAX_RECEIVE_COUNT).toBe(5);
    expect(main.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  test('hides a received message for at least 6 × the consumer timeout', () => {
    const { pipeline, template } = build({ consumerTimeout: Duration.seconds(45) });
    expect(queues(template).main.VisibilityTimeout).toBeGreaterThanOrEqual(6 * 45);
    expect(pipeline.visibilityTimeout.toSeconds()).toBe(queues(template).main.VisibilityTimeout);
  });

  test('is encrypted with SQS-managed keys, so SNS can deliver without a key policy', () => {
    const { main } = queues(build().template);
    expect([main.SqsManagedSseEnabled, main.KmsMasterKeyId]).toEqual([true, undefined]);
  });

  test('denies every action without TLS', () => {
    const { template } = build();
    const { mainId } = queues(template);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: mainId }],
      PolicyDocument: { Statement: Match.arrayWith([sslDeny('sqs:*')]) },
    });
  });

  test('lets only this topic send to it', () => {
    const { template } = build();
    const { mainId } = queues(template);
    const topic = onlyResource(template, 'AWS::SNS::Topic');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: mainId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'sns.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: topic.id } } },
          }),
        ]),
      },
    });
  });
});

describe('dead-letter queue', () => {
  test('is FIFO', () => {
    expect(queues(build().template).dlq.FifoQueue).toBe(true);
  });

  test('keeps messages for 14 days', () => {
    expect(queues(build().template).dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  test('is encrypted', () => {
    expect(queues(build().template).dlq.SqsManagedSseEnabled).toBe(true);
  });

  test('denies every action without TLS', () => {
    const { template } = build();
    const { dlqId } = queues(template);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: { Statement: Match.arrayWith([sslDeny('sqs:*')]) },
    });
  });
});

describe('claim-check bucket', () => {
  test('blocks all public access', () => {
    build().template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  test('is encrypted at rest', () => {
    build().template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  test('denies every action without TLS', () => {
    build().template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([sslDeny('s3:*')]) },
    });
  });

  test('expires objects with the archive, and never before a message could leave the dead-letter queue', () => {
    const expiry = (days: number) =>
      build({ archiveRetentionDays: days }).template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: Math.max(days, 18) })],
        },
      });
    expiry(30);
    expiry(3);
  });

  test('is retained by default and has no physical name', () => {
    const { template } = build();
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.not(Match.objectLike({ BucketName: Match.anyValue() })),
    });
  });

  test('with the destroy policy, is emptied and deleted with the stack', () => {
    const { template } = build({ removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });
});

test('the topic key follows the removal policy', () => {
  build().template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  build({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
});

test.each([0, 366, 2.5])('refuses archiveRetentionDays %p', (days) => {
  expect(() => build({ archiveRetentionDays: days })).toThrow(/archiveRetentionDays/);
});

test('refuses a consumer timeout whose 6-fold exceeds the SQS visibility limit', () => {
  expect(() => build({ consumerTimeout: Duration.hours(3) })).toThrow(/12-hour/);
});
