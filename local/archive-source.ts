/**
 * Replay source "from the deployed stack": the SNS FIFO topic archives every envelope the ingest published
 * (retention set on the topic). A replay subscription re-sends a time range of that archive; here it goes
 * into a temporary SQS FIFO queue that we drain, then the subscription and the queue are deleted whatever
 * happens. Envelopes are filtered by repository / PR on this side and yielded once per delivery id, in the
 * order SQS hands them out (per PR group: the order they were published).
 */
import { randomBytes } from 'node:crypto';
import {
  GetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseEnvelope } from '../lambdas/core/envelope';
import { type Log, silentLog } from '../lambdas/core/ports';
import type { Envelope } from '../lambdas/core/types';

export interface ArchiveQuery {
  /** The stack's SNS FIFO topic (output `TopicArn`). */
  readonly topicArn: string;
  /** Replay deliveries published at or after this time. */
  readonly since: Date;
  /** …and before this time. @default now (so the replay ends) */
  readonly until?: Date;
  /** `owner/name`, case-insensitive. @default every repository */
  readonly repo?: string;
  /** @default every PR */
  readonly pr?: number;
}

export interface ArchiveDeps {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  readonly sleep: (ms: number) => Promise<void>;
  readonly log?: Log;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Pause between empty receives. @default 2000 */
  readonly pollMs?: number;
  /** Empty receives to wait for the replay to start or progress before giving up. @default 150 */
  readonly maxIdlePolls?: number;
  /** Long-poll seconds per receive. @default 5 */
  readonly waitTimeSeconds?: number;
}

/** The replay ended in a state we cannot read the archive from. */
export class ArchiveReplayError extends Error {
  override readonly name = 'ArchiveReplayError';
}

/** Empty receives in a row, after SNS reports the replay `Completed`, that mean the queue is drained. */
const SETTLE_POLLS = 2;

export async function* fetchArchivedDeliveries(query: ArchiveQuery, deps: ArchiveDeps): AsyncIterable<Envelope> {
  const { sns, sqs } = deps;
  const log = deps.log ?? silentLog;
  const pollMs = deps.pollMs ?? 2000;
  const maxIdlePolls = deps.maxIdlePolls ?? 150;
  const until = query.until ?? (deps.now ?? (() => new Date()))();
  if (!(until.getTime() > query.since.getTime())) {
    throw new ArchiveReplayError('The replay range is empty: --until must be after --since.');
  }
  const repo = query.repo?.toLowerCase();

  let queueUrl: string | undefined;
  let subscriptionArn: string | undefined;
  let failed = false;
  try {
    const name = `dprt-replay-${Date.now()}-${randomBytes(4).toString('hex')}.fifo`;
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { FifoQueue: 'true', SqsManagedSseEnabled: 'true', VisibilityTimeout: '300' },
      }),
    );
    queueUrl = created.QueueUrl;
    if (queueUrl === undefined) throw new ArchiveReplayError('SQS created the replay queue but returned no URL.');
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    const queueArn = attrs.Attributes?.QueueArn;
    if (queueArn === undefined) throw new ArchiveReplayError('SQS returned no ARN for the replay queue.');
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'AllowTheTopicOnly',
                Effect: 'Allow',
                Principal: { Service: 'sns.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: queueArn,
                Condition: { ArnEquals: { 'aws:SourceArn': query.topicArn } },
              },
            ],
          }),
        },
      }),
    );
    const subscribed = await sns.send(
      new SubscribeCommand({
        TopicArn: query.topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        ReturnSubscriptionArn: true,
        Attributes: {
          RawMessageDelivery: 'true',
          ReplayPolicy: JSON.stringify({
            PointType: 'Timestamp',
            StartingPoint: query.since.toISOString(),
            EndingPoint: until.toISOString(),
          }),
        },
      }),
    );
    subscriptionArn = subscribed.SubscriptionArn;
    if (subscriptionArn === undefined)
      throw new ArchiveReplayError('SNS accepted the subscription but returned no ARN.');
    log.info('Replaying the topic archive', { since: query.since.toISOString(), until: until.toISOString() });

    const seen = new Set<string>();
    let idle = 0;
    let settled = 0;
    for (;;) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: deps.waitTimeSeconds ?? 5,
        }),
      );
      const messages = out.Messages ?? [];
      if (messages.length > 0) {
        idle = 0;
        settled = 0;
        for (const message of messages) {
          const envelope = toEnvelope(message.Body, log);
          if (envelope === undefined || seen.has(envelope.deliveryId)) continue;
          seen.add(envelope.deliveryId);
          if (repo !== undefined && envelope.repository.toLowerCase() !== repo) continue;
          if (query.pr !== undefined && envelope.prNumber !== query.pr) continue;
          yield envelope;
        }
        const entries = messages.flatMap((m, i) =>
          m.ReceiptHandle === undefined ? [] : [{ Id: String(i), ReceiptHandle: m.ReceiptHandle }],
        );
        if (entries.length > 0) {
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        }
        continue;
      }
      const status = await replayStatus(sns, subscriptionArn);
      if (status === 'Failed') throw new ArchiveReplayError('SNS reports the archive replay Failed.');
      if (status === 'Completed') {
        settled++;
        if (settled >= SETTLE_POLLS) return;
      } else {
        idle++;
        if (idle >= maxIdlePolls) {
          throw new ArchiveReplayError(
            `The archive replay is still ${status} after ${idle} empty receives; giving up.`,
          );
        }
      }
      await deps.sleep(pollMs);
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await cleanUp(sns, sqs, subscriptionArn, queueUrl, log, failed);
  }
}

async function replayStatus(sns: SNSClient, subscriptionArn: string): Promise<string> {
  const out = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
  return out.Attributes?.ReplayStatus ?? 'Pending';
}

function toEnvelope(body: string | undefined, log: Log): Envelope | undefined {
  try {
    return parseEnvelope(body ?? '');
  } catch (err) {
    log.warn('Skipped an archived message that is not an envelope', {
      error: err instanceof Error ? err.message : String(err),
    });
    return undefined;
  }
}

/** Deletes the subscription, then the queue; a failure here is thrown only when nothing else failed. */
async function cleanUp(
  sns: SNSClient,
  sqs: SQSClient,
  subscriptionArn: string | undefined,
  queueUrl: string | undefined,
  log: Log,
  alreadyFailed: boolean,
): Promise<void> {
  const problems: string[] = [];
  if (subscriptionArn !== undefined) {
    try {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
    } catch (err) {
      problems.push(`unsubscribe ${subscriptionArn}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (queueUrl !== undefined) {
    try {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    } catch (err) {
      problems.push(`delete queue ${queueUrl}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (problems.length === 0) return;
  log.error('Could not clean up the replay resources; delete them by hand', { problems });
  if (!alreadyFailed) throw new ArchiveReplayError(`Could not clean up the replay resources: ${problems.join('; ')}.`);
}
