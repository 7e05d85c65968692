// API Gateway HTTP API (payload v2) → acceptWebhook → JSON answer. Config and clients are built once per container.
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Context, APIGatewayProxyEventV2 as Event, APIGatewayProxyStructuredResultV2 as Result } from 'aws-lambda';
import { createLambdaObservability } from '../adapters/observability';
import { createSecretCache, parseWebhookSecrets } from '../adapters/secrets';
import { createSnsPublisher } from '../adapters/sns-publisher';
import { acceptWebhook, type IngestDeps } from '../core/ingest';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`The ingest Lambda needs the ${name} environment variable.`);
  return value;
};
const config = { secretArn: env('WEBHOOK_SECRET_ARN'), topicArn: env('TOPIC_ARN'), bucket: env('PAYLOAD_BUCKET') };
const maxBodyBytes = Number(process.env.MAX_BODY_BYTES ?? 6_291_456);
if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0)
  throw new Error('MAX_BODY_BYTES must be a positive integer.');

// Stay well inside GitHub's 10 s: two attempts, short timeouts. The S3 client loads only for an oversized payload.
const aws = { maxAttempts: 2, requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } };
const { logger, log, metrics } = createLambdaObservability('ingest');
const secretCache = createSecretCache({ client: new SecretsManagerClient(aws) });
const s3 = async () => new (await import('@aws-sdk/client-s3')).S3Client(aws);
const publisher = createSnsPublisher({ sns: new SNSClient(aws), topicArn: config.topicArn, bucket: config.bucket, s3 });
const secrets = async () => parseWebhookSecrets(await secretCache.getSecret(config.secretArn));
const deps: IngestDeps = { secrets, publisher, maxBodyBytes, log, metrics, now: Date.now };

export async function handler(event: Event, context?: Context): Promise<Result> {
  if (context) logger.addContext(context);
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  try {
    const res = await acceptWebhook({ headers: event.headers ?? {}, body }, deps);
    return { statusCode: res.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(res.body) };
  } finally {
    metrics.flush();
  }
}
