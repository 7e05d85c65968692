import type { RemovalPolicy } from 'aws-cdk-lib';
import { Duration, Stack } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC } from '../../lambdas/core/ports';
import { AlarmNotifier } from './alarm-notifier';

/** Namespace of the bridge's custom metrics (Powertools Metrics, `lambdas/adapters/observability.ts`). */
export const METRICS_NAMESPACE = 'DiscordPrThreads';
/** Values of the `service` dimension Powertools adds to every custom metric. */
export const SERVICE = { ingest: 'ingest', worker: 'worker', recovery: 'recovery' } as const;

const PERIOD = Duration.minutes(5);

export interface MonitoringThresholds {
  /** Alarm when the oldest message in the queue is older than this. @default Duration.minutes(15) */
  readonly oldestMessageAge?: Duration;
  /** Alarm when worker errors / invocations exceed this percentage for 3 periods of 5 minutes. @default 5 */
  readonly workerErrorRatePercent?: number;
  /** Alarm when the webhook answers at least this many 5xx in 5 minutes. @default 1 */
  readonly ingestServerErrors?: number;
  /** Alarm when more than this many signature rejections happen in 5 minutes. @default 20 */
  readonly signatureRejections?: number;
}

export interface OpsChannelProps {
  /** Discord channel (id) the notifier posts alarm state changes to. */
  readonly channelId: string;
  /** The bot token secret (the worker's); the notifier may read it and nothing else. */
  readonly tokenSecret: ISecret;
  /** A Discord-compatible API base URL. @default 'https://discord.com/api' */
  readonly discordApiUrl?: string;
}

export interface MonitoringProps {
  /** The webhook HTTP API. */
  readonly api: IHttpApi;
  readonly ingestFunction: IFunction;
  readonly workerFunction: IFunction;
  /** The worker's SQS FIFO queue. */
  readonly queue: IQueue;
  /** Its dead-letter queue. */
  readonly deadLetterQueue: IQueue;
  /** Email address subscribed to the alarm topic (confirm the subscription email). @default - no email */
  readonly alarmEmail?: string;
  /** Post alarm state changes to a Discord channel through a small notifier Lambda. @default - no Discord notifications */
  readonly opsChannel?: OpsChannelProps;
  readonly thresholds?: MonitoringThresholds;
  /** Removal policy of the alarm topic key and the notifier's log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** A custom metric of the bridge; `dimensions` beyond `service` must match what the code emits. */
export function bridgeMetric(
  metricName: string,
  service: string,
  options: {
    readonly statistic?: string;
    readonly dimensions?: Readonly<Record<string, string>>;
    readonly label?: string;
  } = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service, ...options.dimensions },
    statistic: options.statistic ?? 'Sum',
    period: PERIOD,
    ...(options.label === undefined ? {} : { label: options.label }),
  });
}

/** One line per dimension combination of `metricName` found in the namespace (dashboards only: alarms cannot SEARCH). */
function search(schema: readonly string[], metricName: string, label: string): MathExpression {
  const keys = [METRICS_NAMESPACE, ...schema].join(',');
  return new MathExpression({
    expression: `SEARCH('{${keys}} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`,
    label,
    usingMetrics: {},
    period: PERIOD,
  });
}

/**
 * The bridge's CloudWatch dashboard and alarms. Alarm actions (ALARM and OK) go to an SNS topic created here
 * (KMS-encrypted with its own key, SSL-only), which can email an address and/or feed a Discord ops channel.
 * Every alarm treats missing data as not breaching: each watches traffic-driven or queue metrics that are
 * absent exactly when nothing happens (an idle SQS queue stops reporting; Lambda and API metrics only exist
 * with invocations), so "no data" means "nothing wrong", never "unknown".
 */
export class Monitoring extends Construct {
  public readonly dashboard: Dashboard;
  public readonly alarmTopic: Topic;
  public readonly alarmTopicKey: Key;
  /** Every alarm, by purpose. */
  public readonly alarms: {
    readonly deadLetterQueueNotEmpty: Alarm;
    readonly oldestMessageAge: Alarm;
    readonly workerErrorRate: Alarm;
    readonly ingestServerErrors: Alarm;
    readonly signatureRejections: Alarm;
    readonly discordForbidden: Alarm;
  };
  /** Console URL of the dashboard (a stack output). */
  public readonly dashboardUrl: string;
  /** The Discord notifier, when `opsChannel` is set. */
  public readonly notifier?: AlarmNotifier;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    const oldestAge = t.oldestMessageAge ?? Duration.minutes(15);
    const errorRate = t.workerErrorRatePercent ?? 5;
    const serverErrors = t.ingestServerErrors ?? 1;
    const rejections = t.signatureRejections ?? 20;
    if (!(errorRate > 0 && errorRate < 100)) {
      throw new Error(`Monitoring: workerErrorRatePercent must be between 0 and 100, got ${errorRate}.`);
    }
    if (!(serverErrors >= 1) || !(rejections >= 0)) {
      throw new Error('Monitoring: ingestServerErrors must be at least 1 and signatureRejections at least 0.');
    }
    if (props.alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.alarmEmail)) {
      throw new Error(`Monitoring: alarmEmail is not an email address: ${props.alarmEmail}.`);
    }
    const stack = Stack.of(this);

    // ------------------------------------------------------------ alarm topic
    this.alarmTopicKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the discord-pr-threads alarm notifications',
      enableKeyRotation: true,
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    // CloudWatch publishes alarm notifications to the encrypted topic: it needs the key (AWS-managed keys cannot be shared).
    this.alarmTopicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'discord-pr-threads alarms',
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
        },
      }),
    );
    if (props.alarmEmail !== undefined) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    if (props.opsChannel !== undefined) {
      this.notifier = new AlarmNotifier(this, 'Notifier', {
        topic: this.alarmTopic,
        ...props.opsChannel,
        ...(props.removalPolicy === undefined ? {} : { logRemovalPolicy: props.removalPolicy }),
      });
    }

    // ------------------------------------------------------------ metrics
    const { api, ingestFunction: ingest, workerFunction: worker, queue, deadLetterQueue: dlq } = props;
    const sum = { statistic: 'Sum', period: PERIOD };
    const requests = api.metricCount(sum);
    const clientErrors = api.metricClientError(sum);
    const serverErrorMetric = api.metricServerError(sum);
    const signatureRejected = bridgeMetric(METRIC.signatureRejected, SERVICE.ingest, {
      label: 'Signature rejected (401)',
    });
    const discordStatus = (code: string) =>
      bridgeMetric(METRIC.discordRequests, SERVICE.worker, { dimensions: { Outcome: code }, label: `Discord ${code}` });
    const workerErrors = worker.metricErrors(sum);
    const workerInvocations = worker.metricInvocations(sum);
    const lag = (statistic: string) =>
      bridgeMetric(METRIC.endToEndLag, SERVICE.worker, { statistic, label: `End-to-end lag ${statistic}` });

    // ------------------------------------------------------------ alarms
    const action = new SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, options: ConstructorParameters<typeof Alarm>[2]): Alarm => {
      const created = new Alarm(this, alarmId, options);
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    this.alarms = {
      deadLetterQueueNotEmpty: alarm('DeadLetterQueueNotEmpty', {
        alarmDescription:
          'Deliveries failed 5 times and sit in the dead-letter queue. Find their delivery ids in the worker logs (level ERROR), fix the cause, then run `npm run redrive`.',
        metric: dlq.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      oldestMessageAge: alarm('OldestMessageAge', {
        alarmDescription: `A PR's events have waited more than ${oldestAge.toHumanString()}: the worker is failing or throttled for that group. Check the worker errors and Discord outcomes on the dashboard.`,
        metric: queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: PERIOD }),
        threshold: oldestAge.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      workerErrorRate: alarm('WorkerErrorRate', {
        alarmDescription: `More than ${errorRate}% of worker invocations failed for 15 minutes. Read the worker's ERROR logs; messages are retried, then dead-lettered.`,
        metric: new MathExpression({
          expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
          usingMetrics: { errors: workerErrors, invocations: workerInvocations },
          period: PERIOD,
          label: 'Worker error rate (%)',
        }),
        threshold: errorRate,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      ingestServerErrors: alarm('IngestServerErrors', {
        alarmDescription:
          'The webhook answered 5xx: GitHub marks those deliveries failed and never retries them. Read the ingest ERROR logs (publish failures); the recovery job, when enabled, redelivers them, else redeliver from the GitHub webhook page.',
        metric: serverErrorMetric,
        threshold: serverErrors,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      signatureRejections: alarm('SignatureRejections', {
        alarmDescription: `More than ${rejections} requests with a bad signature in 5 minutes: the webhook secret was rotated in GitHub but not in Secrets Manager (or the reverse), or someone is probing the URL.`,
        metric: bridgeMetric(METRIC.signatureRejected, SERVICE.ingest),
        threshold: rejections,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      discordForbidden: alarm('DiscordForbidden', {
        alarmDescription:
          'Discord answered 401/403: the bot token was reset or revoked, or the bot lost access to a channel. Put the new token in the Discord token secret, or restore the bot role permissions (View Channel, Send Messages, Create Public Threads, Manage Threads). These answers count toward the Discord IP ban threshold.',
        metric: new MathExpression({
          expression: 'FILL(m401, 0) + FILL(m403, 0)',
          usingMetrics: { m401: discordStatus('401'), m403: discordStatus('403') },
          period: PERIOD,
          label: 'Discord 401 + 403',
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    };

    // ------------------------------------------------------------ dashboard
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(12) });
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 8): GraphWidget =>
      new GraphWidget({ title, left, right, width, height: 6 });
    const twoXx = new MathExpression({
      expression: 'FILL(total, 0) - FILL(c4xx, 0) - FILL(c5xx, 0)',
      usingMetrics: { total: requests, c4xx: clientErrors, c5xx: serverErrorMetric },
      period: PERIOD,
      label: '2xx',
    });
    const duration = (fn: IFunction, stat: string) =>
      fn.metricDuration({ statistic: stat, period: PERIOD, label: `Duration ${stat}` });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# discord-pr-threads\nGitHub -> webhook (ingest) -> SNS FIFO -> SQS FIFO -> worker -> Discord. Alarms go to the alarm topic; see the README "Operations" section for what to do.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph('Deliveries received by event type', [search(['EventType', 'service'], METRIC.deliveriesReceived, '')]),
      graph('Ingest responses', [twoXx, clientErrors.with({ label: '4xx' }), serverErrorMetric.with({ label: '5xx' })]),
      graph('Signature rejections and publish failures', [
        signatureRejected,
        bridgeMetric(METRIC.publishFailed, SERVICE.ingest, { label: 'Publish failed (5xx)' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Ingest duration and errors',
        [duration(ingest, 'p50'), duration(ingest, 'p99')],
        [ingest.metricErrors({ ...sum, label: 'Errors' })],
      ),
      graph(
        'Worker duration and errors',
        [duration(worker, 'p50'), duration(worker, 'p99')],
        [
          workerErrors.with({ label: 'Errors' }),
          bridgeMetric(METRIC.deliveriesFailed, SERVICE.worker, { label: 'Deliveries failed' }),
        ],
      ),
      graph(
        'Worker throttles and concurrency',
        [worker.metricThrottles({ ...sum, label: 'Throttles' })],
        [
          worker.metric('ConcurrentExecutions', {
            statistic: 'Maximum',
            period: PERIOD,
            label: 'Concurrent executions',
          }),
        ],
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Queue depth and age of oldest message',
        [
          queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: 'Visible' }),
          queue.metricApproximateNumberOfMessagesNotVisible({
            statistic: 'Maximum',
            period: PERIOD,
            label: 'In flight',
          }),
        ],
        [queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: PERIOD, label: 'Oldest (s)' })],
      ),
      graph('Dead-letter queue depth', [
        dlq.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: PERIOD, label: 'Dead-lettered' }),
      ]),
      graph('Discord requests by outcome', [search(['Outcome', 'service'], METRIC.discordRequests, '')]),
    );
    this.dashboard.addWidgets(
      graph('End-to-end lag (GitHub to Discord), ms', [lag('p50'), lag('p99')]),
      graph('Deliveries ignored (by event type)', [search([], METRIC.deliveriesIgnored, '')]),
      graph('Worker outcomes', [
        bridgeMetric(METRIC.deliveriesProcessed, SERVICE.worker, { label: 'Processed' }),
        bridgeMetric(METRIC.deliveriesDuplicate, SERVICE.worker, { label: 'Duplicates skipped' }),
        bridgeMetric(METRIC.renamesDeferred, SERVICE.worker, { label: 'Renames deferred' }),
      ]),
    );

    this.dashboardUrl = `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
