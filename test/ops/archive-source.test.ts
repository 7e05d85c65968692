import { GetSubscriptionAttributesCommand, SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Envelope } from '../../lambdas/core/types';
import { type ArchiveQuery, ArchiveReplayError, fetchArchivedDeliveries } from '../../local/archive-source';

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:bridge-Topic.fifo';
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/dprt-replay-1.fifo';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:dprt-replay-1.fifo';
const SUB_ARN = `${TOPIC_ARN}:0f0e0d0c`;
const SINCE = new Date('2025-06-01T00:00:00Z');
const UNTIL = new Date('2025-06-02T00:00:00Z');

const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
let receipt = 0;

function envelope(deliveryId: string, repository: string, prNumber?: number): Envelope {
  return {
    v: 1,
    deliveryId,
    event: 'pull_request',
    action: 'opened',
    repositoryId: repository === 'acme/widgets' ? 1 : 2,
    repository,
    ...(prNumber === undefined ? {} : { prNumber }),
    groupId: prNumber === undefined ? '1' : `1#${prNumber}`,
    receivedAt: SINCE.getTime() + 1000,
    body: '{}',
  };
}

function messages(...envelopes: (Envelope | string)[]): Message[] {
  return envelopes.map((e) => ({
    MessageId: `m-${receipt}`,
    ReceiptHandle: `r-${receipt++}`,
    Body: typeof e === 'string' ? e : JSON.stringify(e),
  }));
}

function happyInfrastructure(): void {
  sqs.on(CreateQueueCommand).resolves({ QueueUrl: QUEUE_URL });
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { QueueArn: QUEUE_ARN } });
  sqs.on(SetQueueAttributesCommand).resolves({});
  sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [] });
  sqs.on(DeleteQueueCommand).resolves({});
  sns.on(SubscribeCommand).resolves({ SubscriptionArn: SUB_ARN });
  sns.on(UnsubscribeCommand).resolves({});
}

async function collect(query: Partial<ArchiveQuery> = {}, extra: { maxIdlePolls?: number } = {}): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of fetchArchivedDeliveries(
    { topicArn: TOPIC_ARN, since: SINCE, until: UNTIL, ...query },
    { sns: new SNSClient({}), sqs: new SQSClient({}), sleep: async () => {}, pollMs: 1, ...extra },
  )) {
    ids.push(e.deliveryId);
  }
  return ids;
}

beforeEach(() => {
  sns.reset();
  sqs.reset();
});

test('replays the archive range into a temporary FIFO queue the topic alone may write to, then cleans up', async () => {
  happyInfrastructure();
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: messages(envelope('d1', 'acme/widgets', 1), envelope('d2', 'acme/widgets', 2)) })
    .resolves({ Messages: [] });
  sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { ReplayStatus: 'Completed' } });

  expect(await collect()).toEqual(['d1', 'd2']);

  const create = sqs.commandCalls(CreateQueueCommand)[0].args[0].input;
  expect(create.QueueName).toMatch(/^dprt-replay-\d+-[0-9a-f]{8}\.fifo$/);
  expect(create.Attributes).toMatchObject({ FifoQueue: 'true', SqsManagedSseEnabled: 'true' });
  const policy = JSON.parse(sqs.commandCalls(SetQueueAttributesCommand)[0].args[0].input.Attributes?.Policy ?? '{}');
  expect(policy.Statement).toEqual([
    expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: QUEUE_ARN,
      Condition: { ArnEquals: { 'aws:SourceArn': TOPIC_ARN } },
    }),
  ]);
  const subscribe = sns.commandCalls(SubscribeCommand)[0].args[0].input;
  expect(subscribe).toMatchObject({ TopicArn: TOPIC_ARN, Protocol: 'sqs', Endpoint: QUEUE_ARN });
  expect(subscribe.Attributes?.RawMessageDelivery).toBe('true');
  expect(JSON.parse(subscribe.Attributes?.ReplayPolicy ?? '{}')).toEqual({
    PointType: 'Timestamp',
    StartingPoint: '2025-06-01T00:00:00.000Z',
    EndingPoint: '2025-06-02T00:00:00.000Z',
  });
  expect(sqs.commandCalls(DeleteMessageBatchCommand)[0].args[0].input.Entries).toHaveLength(2);
  expect(sns.commandCalls(UnsubscribeCommand)[0].args[0].input).toEqual({ SubscriptionArn: SUB_ARN });
  expect(sqs.commandCalls(DeleteQueueCommand)[0].args[0].input).toEqual({ QueueUrl: QUEUE_URL });
});

test('keeps receiving across batches until the replay is Completed and the queue stays empty', async () => {
  happyInfrastructure();
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({ Messages: messages(envelope('a1', 'acme/widgets', 1)) })
    .resolvesOnce({ Messages: [] })
    .resolvesOnce({ Messages: messages(envelope('a2', 'acme/widgets', 1), envelope('a3', 'acme/widgets', 1)) })
    .resolvesOnce({ Messages: [] })
    .resolvesOnce({ Messages: messages(envelope('a4', 'acme/widgets', 3)) })
    .resolves({ Messages: [] });
  sns
    .on(GetSubscriptionAttributesCommand)
    .resolvesOnce({ Attributes: { ReplayStatus: 'Pending' } })
    .resolvesOnce({ Attributes: { ReplayStatus: 'In progress' } })
    .resolves({ Attributes: { ReplayStatus: 'Completed' } });

  expect(await collect()).toEqual(['a1', 'a2', 'a3', 'a4']);
  expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(3);
});

test('filters by repository (case-insensitive) and PR, skips non-envelopes and repeated delivery ids', async () => {
  happyInfrastructure();
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({
      Messages: messages(
        envelope('f1', 'acme/widgets', 7),
        envelope('f2', 'acme/gadgets', 7),
        envelope('f3', 'acme/widgets', 8),
        envelope('f1', 'acme/widgets', 7),
        'not json',
        envelope('f4', 'Acme/Widgets', 7),
      ),
    })
    .resolves({ Messages: [] });
  sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { ReplayStatus: 'Completed' } });

  expect(await collect({ repo: 'ACME/widgets', pr: 7 })).toEqual(['f1', 'f4']);
  expect(sqs.commandCalls(DeleteMessageBatchCommand)[0].args[0].input.Entries).toHaveLength(6);
});

test('until defaults to now so the replay has an end', async () => {
  happyInfrastructure();
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { ReplayStatus: 'Completed' } });

  const iterable = fetchArchivedDeliveries(
    { topicArn: TOPIC_ARN, since: SINCE },
    { sns: new SNSClient({}), sqs: new SQSClient({}), sleep: async () => {}, now: () => UNTIL },
  );
  for await (const e of iterable) throw new Error(`unexpected ${e.deliveryId}`);

  const policy = JSON.parse(sns.commandCalls(SubscribeCommand)[0].args[0].input.Attributes?.ReplayPolicy ?? '{}');
  expect(policy.EndingPoint).toBe(UNTIL.toISOString());
});

test('a failed replay throws and still deletes the subscription and the queue', async () => {
  happyInfrastructure();
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { ReplayStatus: 'Failed' } });

  await expect(collect()).rejects.toThrow(new ArchiveReplayError('SNS reports the archive replay Failed.'));
  expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(1);
  expect(sqs.commandCalls(DeleteQueueCommand)).toHaveLength(1);
});

test('an error while receiving still cleans up, and a subscribe error deletes the queue', async () => {
  happyInfrastructure();
  sqs.on(ReceiveMessageCommand).rejects(new Error('AccessDenied'));

  await expect(collect()).rejects.toThrow('AccessDenied');
  expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(1);
  expect(sqs.commandCalls(DeleteQueueCommand)).toHaveLength(1);

  sns.reset();
  sqs.reset();
  happyInfrastructure();
  sns.on(SubscribeCommand).rejects(new Error('InvalidParameter: ReplayPolicy'));

  await expect(collect()).rejects.toThrow('InvalidParameter: ReplayPolicy');
  expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(0);
  expect(sqs.commandCalls(DeleteQueueCommand)).toHaveLength(1);
});

test('a consumer that stops early still triggers the cleanup', async () => {
  happyInfrastructure();
  sqs.on(ReceiveMessageCommand).resolves({ Messages: messages(envelope('e1', 'acme/widgets', 1)) });

  for await (const e of fetchArchivedDeliveries(
    { topicArn: TOPIC_ARN, since: SINCE, until: UNTIL },
    { sns: new SNSClient({}), sqs: new SQSClient({}), sleep: async () => {} },
  )) {
    expect(e.deliveryId).toBe('e1');
    break;
  }

  expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(1);
  expect(sqs.commandCalls(DeleteQueueCommand)).toHaveLength(1);
});

test('a replay that never progresses gives up after the idle limit', async () => {
  happyInfrastructure();
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { ReplayStatus: 'Pending' } });

  await expect(collect({}, { maxIdlePolls: 3 })).rejects.toThrow(/still Pending after 3 empty receives/);
  expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(3);
  expect(sqs.commandCalls(DeleteQueueCommand)).toHaveLength(1);
});

test('an empty range is refused before anything is created', async () => {
  await expect(collect({ since: UNTIL, until: SINCE })).rejects.toThrow('--until must be after --since');
  expect(sqs.commandCalls(CreateQueueCommand)).toHaveLength(0);
});

test('a cleanup failure after a good replay is reported', async () => {
  happyInfrastructure();
  sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
  sns.on(GetSubscriptionAttributesCommand).resolves({ Attributes: { ReplayStatus: 'Completed' } });
  sqs.on(DeleteQueueCommand).rejects(new Error('throttled'));

  await expect(collect()).rejects.toThrow(
    `Could not clean up the replay resources: delete queue ${QUEUE_URL}: throttled.`,
  );
  expect(sns.commandCalls(UnsubscribeCommand)).toHaveLength(1);
});
