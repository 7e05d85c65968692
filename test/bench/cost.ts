/**
 * Cost per million deliveries in AWS, from the synthesized template's choices (memory, architecture, batch size,
 * encryption, resources) and the request counts measured by the other benchmarks, at us-east-1 LIST PRICES AS
 * WRITTEN BELOW (taken at the time of writing, without free tier; check the AWS pricing pages before relying on them).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { synthesizeApp } from '../security/app';
import { round, type Section, table } from './common';

/** us-east-1 list prices at the time of writing (USD). */
export const PRICES = {
  lambdaArmGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  httpApiPerMillion: 1.0,
  snsFifoPublishPerMillion: 0.3,
  snsFifoPayloadPerGb: 0.017,
  snsFifoDeliveryToSqsPerMillion: 0.01,
  snsFifoDeliveryPayloadPerGb: 0.001,
  snsArchivePerGb: 0.1,
  sqsFifoPerMillionRequests: 0.5,
  dynamoWriteUnitPerMillion: 0.625,
  dynamoReadUnitPerMillion: 0.125,
  logsIngestPerGb: 0.5,
  dataTransferOutPerGb: 0.09,
  // Fixed, per month.
  secretPerMonth: 0.4,
  kmsKeyPerMonth: 1.0,
  dashboardPerMonth: 3.0,
  alarmPerMonth: 0.1,
} as const;

export interface CostInputs {
  /** Measured: Discord requests per delivery (happy path). */
  readonly discordPerDelivery: number;
  /** Measured: DynamoDB commands per delivery. */
  readonly dynamoPerDelivery: Readonly<Record<string, number>>;
  readonly threadItemBytes: number;
  /** Measured cold start (spawn → answered) in ms, by bundle; billed as init on a cold start. */
  readonly coldMs: Readonly<Record<'ingest' | 'worker', number>>;
}

/** Assumptions that are not in the template (stated in the output). */
const ASSUME = {
  payloadBytes: 25 * 1024,
  coldStartShare: 0.01,
  snsPublishMs: 20,
  ingestComputeMs: 5,
  discordRoundTripMs: 120,
  dynamoRoundTripMs: 6,
  workerComputeMs: 15,
  /** Low traffic: every delivery is its own worker invocation (SQS FIFO batches fill only under load). */
  deliveriesPerWorkerInvocation: 1,
  logBytesPerDelivery: 3_500,
  discordBytesPerRequest: 3_000,
};

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export function benchCost(inputs: CostInputs): Section {
  const template = Template.fromStack(synthesizeApp().stack).toJSON();
  const resources = template.Resources as Resources;
  const of = (type: string) => Object.values(resources).filter((r) => r.Type === type);
  const fn = (word: string) => {
    const found = of('AWS::Lambda::Function').find((r) => String(r.Properties?.Description ?? '').includes(word));
    if (found === undefined) throw new Error(`no ${word} function in the template`);
    const arch = (found.Properties?.Architectures as string[] | undefined)?.[0] ?? 'x86_64';
    if (arch !== 'arm64') throw new Error(`${word} is ${arch}; this table prices arm64`);
    return { memoryMb: Number(found.Properties?.MemorySize ?? 128), timeoutS: Number(found.Properties?.Timeout ?? 3) };
  };
  const ingest = fn('ingest');
  const worker = fn('worker');
  const batchSize = Number(of('AWS::Lambda::EventSourceMapping')[0]?.Properties?.BatchSize ?? 10);
  const million = 1_000_000;
  const gb = (bytes: number) => bytes / 1024 ** 3;

  const ingestMs = ASSUME.ingestComputeMs + ASSUME.snsPublishMs + ASSUME.coldStartShare * inputs.coldMs.ingest;
  const dynamoOps = Object.values(inputs.dynamoPerDelivery).reduce((a, b) => a + b, 0);
  const workerMs =
    (ASSUME.workerComputeMs +
      inputs.discordPerDelivery * ASSUME.discordRoundTripMs +
      dynamoOps * ASSUME.dynamoRoundTripMs) *
      1 +
    ASSUME.coldStartShare * inputs.coldMs.worker;
  const puts = inputs.dynamoPerDelivery.PutItemCommand ?? 0;
  const updates = inputs.dynamoPerDelivery.UpdateItemCommand ?? 0;
  const gets = inputs.dynamoPerDelivery.GetItemCommand ?? 0;
  const threadWru = Math.ceil(inputs.threadItemBytes / 1024);
  // One put claims the delivery (small item); the rest save thread state.
  const wru = Math.min(1, puts) + Math.max(0, puts - 1) * threadWru + updates;
  const rru = gets * Math.ceil(inputs.threadItemBytes / 4096);

  const lines: [string, string, number][] = [
    ['API Gateway HTTP API', '1 request (≤ 512 KB)', PRICES.httpApiPerMillion],
    [
      `Lambda ingest (${ingest.memoryMb} MB arm64)`,
      `1 invocation, ~${round(ingestMs, 1)} ms billed`,
      PRICES.lambdaPerMillionRequests +
        (ingest.memoryMb / 1024) * (ingestMs / 1000) * million * PRICES.lambdaArmGbSecond,
    ],
    [
      'SNS FIFO topic',
      '1 publish (25 KB < 64 KB), payload, delivery to SQS FIFO, archive',
      PRICES.snsFifoPublishPerMillion +
        gb(ASSUME.payloadBytes) *
          million *
          (PRICES.snsFifoPayloadPerGb + PRICES.snsFifoDeliveryPayloadPerGb + PRICES.snsArchivePerGb) +
        PRICES.snsFifoDeliveryToSqsPerMillion,
    ],
    [
      'SQS FIFO queue',
      `send + receive + delete = 3 requests (batch of ${ASSUME.deliveriesPerWorkerInvocation}; up to ${batchSize} under load)`,
      3 * PRICES.sqsFifoPerMillionRequests,
    ],
    [
      `Lambda worker (${worker.memoryMb} MB arm64)`,
      `1 invocation, ~${round(workerMs, 0)} ms billed (${round(inputs.discordPerDelivery, 2)} Discord + ${round(dynamoOps, 2)} DynamoDB round trips)`,
      PRICES.lambdaPerMillionRequests / ASSUME.deliveriesPerWorkerInvocation +
        (worker.memoryMb / 1024) * (workerMs / 1000) * million * PRICES.lambdaArmGbSecond,
    ],
    [
      'DynamoDB on-demand',
      `${round(wru, 2)} WRU + ${round(rru, 2)} RRU (items ≤ ${inputs.threadItemBytes} B)`,
      wru * PRICES.dynamoWriteUnitPerMillion + rru * PRICES.dynamoReadUnitPerMillion,
    ],
    [
      'CloudWatch Logs',
      `~${ASSUME.logBytesPerDelivery} B ingested (function + access logs)`,
      gb(ASSUME.logBytesPerDelivery) * million * PRICES.logsIngestPerGb,
    ],
    [
      'Data transfer out (to Discord)',
      `~${round(inputs.discordPerDelivery * ASSUME.discordBytesPerRequest, 0)} B`,
      gb(inputs.discordPerDelivery * ASSUME.discordBytesPerRequest) * million * PRICES.dataTransferOutPerGb,
    ],
  ];
  const total = lines.reduce((n, [, , usd]) => n + usd, 0);
  const fixed =
    of('AWS::SecretsManager::Secret').length * PRICES.secretPerMonth +
    of('AWS::KMS::Key').length * PRICES.kmsKeyPerMonth +
    of('AWS::CloudWatch::Dashboard').length * PRICES.dashboardPerMonth +
    of('AWS::CloudWatch::Alarm').length * PRICES.alarmPerMonth;
  const largest = [...lines].sort((a, b) => b[2] - a[2])[0];
  return {
    title: 'Cost per million deliveries (us-east-1 list prices at the time of writing, no free tier)',
    body: [
      table(
        ['service', 'per delivery', 'USD per million'],
        [
          ...lines.map(([s, d, usd]) => [s, d, round(usd, 2).toFixed(2)]),
          ['**total**', '', `**${round(total, 2).toFixed(2)}**`],
        ],
      ),
      '',
      `Fixed per month, whatever the traffic: ${of('AWS::SecretsManager::Secret').length} secrets, ${of('AWS::KMS::Key').length} KMS keys, ` +
        `${of('AWS::CloudWatch::Dashboard').length} dashboard, ${of('AWS::CloudWatch::Alarm').length} alarms ≈ $${round(fixed, 2).toFixed(2)}.`,
      `From the template: ingest ${ingest.memoryMb} MB / ${ingest.timeoutS} s, worker ${worker.memoryMb} MB / ${worker.timeoutS} s, arm64, SQS batch ≤ ${batchSize}. ` +
        `Measured in this run: ${round(inputs.discordPerDelivery, 2)} Discord requests and ${round(dynamoOps, 2)} DynamoDB commands per delivery, cold starts ` +
        `${round(inputs.coldMs.ingest, 0)} / ${round(inputs.coldMs.worker, 0)} ms (billed as init).`,
      `Assumed: ${ASSUME.coldStartShare * 100} % cold starts, SNS publish ${ASSUME.snsPublishMs} ms, Discord round trip ${ASSUME.discordRoundTripMs} ms, ` +
        `DynamoDB round trip ${ASSUME.dynamoRoundTripMs} ms, ${ASSUME.payloadBytes / 1024} KB payloads (larger ones add SNS payload GB; over 200 KB they go to S3). ` +
        `Largest line: ${largest?.[0]}. Prices: ${Object.entries(PRICES)
          .map(([k, v]) => `${k} $${v}`)
          .join(', ')}.`,
    ].join('\n'),
    headline: [
      { figure: 'AWS cost per million deliveries', value: `$${round(total, 2).toFixed(2)}`, goal: 'figure', met: null },
    ],
  };
}
