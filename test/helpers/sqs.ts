/** SQS FIFO events as Lambda receives them from the bridge's queue (raw SNS delivery: body = the envelope). */
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Envelope } from '../../lambdas/core/types';

let sequence = 1000;

export function sqsRecord(envelope: Envelope | string, receiveCount = 1): SQSRecord {
  const body = typeof envelope === 'string' ? envelope : JSON.stringify(envelope);
  const group = typeof envelope === 'string' ? 'malformed' : envelope.groupId;
  const dedupe = typeof envelope === 'string' ? `m-${sequence}` : envelope.deliveryId;
  sequence += 1;
  return {
    messageId: `msg-${sequence}`,
    receiptHandle: `rh-${sequence}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1717318800000',
      SenderId: 'AIDASNSSERVICE',
      ApproximateFirstReceiveTimestamp: '1717318800001',
      SequenceNumber: String(sequence),
      MessageGroupId: group,
      MessageDeduplicationId: dedupe,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bridge-queue.fifo',
    awsRegion: 'us-east-1',
  };
}

export function sqsFifoEvent(records: readonly SQSRecord[]): SQSEvent {
  return { Records: [...records] };
}
