/**
 * {@link Publisher} over SNS FIFO. One PR = one message group (`envelope.groupId`), the delivery id is
 * the deduplication id. Envelopes too large for SNS travel by claim check: the body goes to S3 and the
 * message carries `bodyRef` instead. The S3 client module is loaded only when a payload needs it.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Publisher } from '../core/ports';
import type { Envelope } from '../core/types';

export interface SnsPublisherOptions {
  readonly sns: SNSClient;
  readonly topicArn: string;
  /** An S3 client, or a factory called on the first oversized payload (keeps cold starts lean). */
  readonly s3?: S3Client | (() => Promise<S3Client>);
  /** Bucket for claim-checked bodies (needs a lifecycle rule). Without it an oversized payload fails to publish. */
  readonly bucket?: string;
  /** Largest envelope (UTF-8 bytes of its JSON) sent inline; SNS caps a message with attributes at 256 KiB. @default 200_000 */
  readonly inlineLimitBytes?: number;
}

/** Thrown when a payload is over the inline limit and no claim-check bucket is configured. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

/** S3 key of a claim-checked body: `payloads/<yyyy>/<mm>/<dd>/<deliveryId>.json` (UTC date of receipt). */
export function payloadKey(envelope: Pick<Envelope, 'deliveryId' | 'receivedAt'>): string {
  const day = new Date(envelope.receivedAt).toISOString().slice(0, 10).replaceAll('-', '/');
  return `payloads/${day}/${envelope.deliveryId}.json`;
}

function attributes(envelope: Envelope): Record<string, MessageAttributeValue> {
  const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
  return {
    event: text(envelope.event),
    ...(envelope.action === undefined ? {} : { action: text(envelope.action) }),
    deliveryId: text(envelope.deliveryId),
  };
}

function memoS3(source: SnsPublisherOptions['s3']): (() => Promise<S3Client>) | undefined {
  if (source === undefined) return undefined;
  if (typeof source !== 'function') return () => Promise.resolve(source);
  let pending: Promise<S3Client> | undefined;
  return () => {
    pending ??= source().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

export function createSnsPublisher(options: SnsPublisherOptions): Publisher {
  const { sns, topicArn, bucket, inlineLimitBytes = 200_000 } = options;
  const s3 = memoS3(options.s3);

  async function claimCheck(envelope: Envelope): Promise<Envelope> {
    if (s3 === undefined || bucket === undefined) {
      throw new PayloadTooLargeError(
        `Delivery ${envelope.deliveryId} is over the ${inlineLimitBytes}-byte queue limit and no payload bucket is configured.`,
      );
    }
    const { body, ...rest } = envelope;
    const key = payloadKey(envelope);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await (await s3()).send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ServerSideEncryption: 'AES256',
      }),
    );
    return { ...rest, bodyRef: { bucket, key } };
  }

  return {
    async publish(envelope) {
      let message = JSON.stringify(envelope);
      if (Buffer.byteLength(message, 'utf8') > inlineLimitBytes) message = JSON.stringify(await claimCheck(envelope));
      await sns.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: message,
          MessageGroupId: envelope.groupId,
          MessageDeduplicationId: envelope.deliveryId,
          MessageAttributes: attributes(envelope),
        }),
      );
    },
  };
}

/** The raw JSON body of an envelope: inline, or fetched from S3 by its claim check (for the worker). */
export async function resolveBody(envelope: Envelope, s3: S3Client): Promise<string> {
  if (envelope.body !== undefined) return envelope.body;
  if (envelope.bodyRef === undefined) {
    throw new Error(`Delivery ${envelope.deliveryId} has neither a body nor a body reference.`);
  }
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const { bucket, key } = envelope.bodyRef;
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (object.Body === undefined) throw new Error(`Payload s3://${bucket}/${key} has no content.`);
  return object.Body.transformToString('utf-8');
}
