/**
 * SQS FIFO batch → one `processEnvelope` per record → `batchItemFailures`.
 * A failed record fails the later records of its PR group only (`skipGroupOnError`); other PRs go on.
 */
import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLambdaObservability } from '../adapters/observability';
import { parseEnvelope } from '../core/envelope';
import { processEnvelope } from '../core/process';
import { readWorkerEnv, workerDepsFactory } from './runtime';

const { logger, log, metrics } = createLambdaObservability('worker');
const deps = workerDepsFactory(readWorkerEnv(process.env), log, metrics);
const processor = new SqsFifoPartialProcessorAsync();

const recordHandler = async (record: SQSRecord): Promise<void> => {
  try {
    const envelope = parseEnvelope(record.body);
    logger.appendKeys({ deliveryId: envelope.deliveryId, repository: envelope.repository, pr: envelope.prNumber });
    const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
    await processEnvelope(envelope, await deps(), { attempt });
  } catch (err) {
    log.error('delivery failed', { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    throw err;
  } finally {
    logger.removeKeys(['deliveryId', 'repository', 'pr']);
  }
};

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    return await processPartialResponse(event, recordHandler, processor, { context, skipGroupOnError: true });
  } finally {
    metrics.flush();
  }
};
