import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { sdkStreamMixin } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createSnsPublisher,
  PayloadTooLargeError,
  payloadKey,
  resolveBody,
} from '../../../lambdas/adapters/sns-publisher';
import type { Envelope } from '../../../lambdas/core/types';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:pr-events.fifo';
const BUCKET = 'payload-bucket';
const sns = mockClient(SNSClient);
const s3 = mockClient(S3Client);

beforeEach(() => {
  sns.reset();
  s3.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '1' });
  s3.on(PutObjectCommand).resolves({});
});

function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    v: 1,
    deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    event: 'pull_request',
    action: 'opened',
    repositoryId: 186853002,
    repository: 'Codertocat/Hello-World',
    prNumber: 2,
    groupId: '186853002#2',
    receivedAt: Date.UTC(2025, 0, 9, 23, 59, 59),
    body: '{"action":"opened"}',
    ...overrides,
  };
}

describe('createSnsPublisher', () => {
  test('publishes the envelope with the PR group, delivery dedupe id and attributes', async () => {
    const publisher = createSnsPublisher({ sns: new SNSClient({}), topicArn: TOPIC });
    const env = envelope();
    await publisher.publish(env);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      TopicArn: TOPIC,
      Message: JSON.stringify(env),
      MessageGroupId: '186853002#2',
      MessageDeduplicationId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'pull_request' },
        action: { DataType: 'String', StringValue: 'opened' },
        deliveryId: { DataType: 'String', StringValue: '72d3162e-cc78-11e3-81ab-4c9367dc0958' },
      },
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('leaves the action attribute out when the event has none', async () => {
    const { action: _omit, ...withoutAction } = envelope();
    await createSnsPublisher({ sns: new SNSClient({}), topicArn: TOPIC }).publish(withoutAction);
    expect(Object.keys(sns.commandCalls(PublishCommand)[0].args[0].input.MessageAttributes ?? {})).toEqual([
      'event',
      'deliveryId',
    ]);
  });

  test('an envelope over the inline limit travels by claim check: body to S3, bodyRef in the message', async () => {
    const body = JSON.stringify({ action: 'opened', big: 'x'.repeat(300_000) });
    const env = envelope({ body });
    const publisher = createSnsPublisher({
      sns: new SNSClient({}),
      topicArn: TOPIC,
      s3: new S3Client({}),
      bucket: BUCKET,
    });
    await publisher.publish(env);

    const puts = s3.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0].args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'payloads/2025/01/09/72d3162e-cc78-11e3-81ab-4c9367dc0958.json',
      Body: body,
      ContentType: 'application/json',
      ServerSideEncryption: 'AES256',
    });
    const published = sns.commandCalls(PublishCommand)[0].args[0].input;
    const { body: _dropped, ...rest } = env;
    expect(JSON.parse(published.Message ?? '')).toEqual({
      ...rest,
      bodyRef: { bucket: BUCKET, key: 'payloads/2025/01/09/72d3162e-cc78-11e3-81ab-4c9367dc0958.json' },
    });
    expect(Buffer.byteLength(published.Message ?? '')).toBeLessThan(2_000);
    expect(published.MessageGroupId).toBe('186853002#2');
    expect(published.MessageDeduplicationId).toBe(env.deliveryId);
  });

  test('the limit counts UTF-8 bytes, not characters', async () => {
    const env = envelope({ body: JSON.stringify({ text: 'é'.repeat(600) }) });
    expect(JSON.stringify(env).length).toBeLessThan(1_000);
    const publisher = createSnsPublisher({
      sns: new SNSClient({}),
      topicArn: TOPIC,
      s3: new S3Client({}),
      bucket: BUCKET,
      inlineLimitBytes: 1_000,
    });
    await publisher.publish(env);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  test('an S3 client factory is called once, and only when a payload needs it', async () => {
    const factory = jest.fn(async () => new S3Client({}));
    const publisher = createSnsPublisher({
      sns: new SNSClient({}),
      topicArn: TOPIC,
      s3: factory,
      bucket: BUCKET,
      inlineLimitBytes: 500,
    });
    await publisher.publish(envelope());
    expect(factory).not.toHaveBeenCalled();
    await publisher.publish(envelope({ body: 'x'.repeat(600) }));
    await publisher.publish(envelope({ body: 'y'.repeat(600) }));
    expect(factory).toHaveBeenCalledTimes(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2);
  });

  test('an oversized payload without a bucket fails instead of being dropped', async () => {
    const publisher = createSnsPublisher({ sns: new SNSClient({}), topicArn: TOPIC, inlineLimitBytes: 500 });
    await expect(publisher.publish(envelope({ body: 'x'.repeat(600) }))).rejects.toThrow(PayloadTooLargeError);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('a failed S3 put fails the publish and sends nothing', async () => {
    s3.on(PutObjectCommand).rejects(new Error('AccessDenied'));
    const publisher = createSnsPublisher({
      sns: new SNSClient({}),
      topicArn: TOPIC,
      s3: new S3Client({}),
      bucket: BUCKET,
      inlineLimitBytes: 500,
    });
    await expect(publisher.publish(envelope({ body: 'x'.repeat(600) }))).rejects.toThrow('AccessDenied');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('an SNS failure propagates to the caller', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    const publisher = createSnsPublisher({ sns: new SNSClient({}), topicArn: TOPIC });
    await expect(publisher.publish(envelope())).rejects.toThrow('Throttling');
  });
});

describe('payloadKey', () => {
  test('uses the UTC date of receipt', () => {
    expect(payloadKey({ deliveryId: 'abc', receivedAt: Date.UTC(2024, 11, 31, 23, 0, 0) })).toBe(
      'payloads/2024/12/31/abc.json',
    );
  });
});

describe('resolveBody', () => {
  test('returns an inline body without touching S3', async () => {
    expect(await resolveBody(envelope(), new S3Client({}))).toBe('{"action":"opened"}');
    expect(s3.calls()).toHaveLength(0);
  });

  test('fetches a claim-checked body by its reference', async () => {
    const text = JSON.stringify({ action: 'opened', big: 'z'.repeat(1_000) });
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'payloads/k.json' }).resolves({
      Body: sdkStreamMixin(Readable.from([Buffer.from(text)])),
    });
    const { body: _none, ...rest } = envelope();
    expect(await resolveBody({ ...rest, bodyRef: { bucket: BUCKET, key: 'payloads/k.json' } }, new S3Client({}))).toBe(
      text,
    );
  });

  test('an envelope with neither body nor reference is an error', async () => {
    const { body: _none, ...rest } = envelope();
    await expect(resolveBody(rest, new S3Client({}))).rejects.toThrow(/neither a body nor a body reference/);
  });
});
