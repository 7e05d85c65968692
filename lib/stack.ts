import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { parseHooks } from '../lambdas/core/recovery';
import type { AppConfig } from './config';
import { EventPipeline } from './constructs/event-pipeline';
import { Monitoring } from './constructs/monitoring';
import { PrWorker } from './constructs/pr-worker';
import { FailedDeliveryRecovery } from './constructs/recovery';
import { BridgeSecrets } from './constructs/secrets';
import { Tables } from './constructs/tables';
import { WebhookIngest } from './constructs/webhook-ingest';
import { WHY } from './nag-reasons';

export interface DiscordPrThreadsStackProps extends StackProps {
  /** Validated configuration, read once in `bin/app.ts`. */
  readonly config: AppConfig;
}

/** GitHub webhook → HTTP API → ingest → SNS FIFO → SQS FIFO → worker → Discord. Wiring only. */
export class DiscordPrThreadsStack extends Stack {
  /** For monitoring and operations constructs: API, functions, queues, topic, token secret, deliveries table. */
  public readonly api: HttpApi;
  public readonly ingestFunction: IFunction;
  public readonly workerFunction: IFunction;
  public readonly topic: ITopic;
  public readonly queue: IQueue;
  public readonly deadLetterQueue: IQueue;
  public readonly discordTokenSecret: ISecret;
  public readonly deliveriesTable: ITable;

  constructor(scope: Construct, id: string, props: DiscordPrThreadsStackProps) {
    super(scope, id, { description: 'discord-pr-threads: GitHub pull requests as Discord threads', ...props });
    const { bridge, deployment } = props.config;
    const removalPolicy = deployment.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const logRetention = deployment.logRetentionDays as RetentionDays;
    const workerTimeout = Duration.seconds(deployment.workerTimeoutSeconds);

    const secrets = new BridgeSecrets(this, 'Secrets', { removalPolicy });
    const tables = new Tables(this, 'Tables', { removalPolicy });
    const pipeline = new EventPipeline(this, 'Pipeline', {
      consumerTimeout: workerTimeout,
      archiveRetentionDays: deployment.archiveRetentionDays,
      removalPolicy,
    });
    const ingest = new WebhookIngest(this, 'Ingest', {
      webhookSecret: secrets.webhookSecret,
      topic: pipeline.topic,
      topicKey: pipeline.topicKey,
      payloadBucket: pipeline.payloadBucket,
      ...deployment.throttle,
      maxBodyBytes: deployment.maxBodyBytes,
      logRetention,
      logRemovalPolicy: removalPolicy,
    });
    const worker = new PrWorker(this, 'Worker', {
      queue: pipeline.queue,
      queueVisibilityTimeout: pipeline.visibilityTimeout,
      discordToken: secrets.discordToken,
      deliveries: tables.deliveries,
      threads: tables.threads,
      payloadBucket: pipeline.payloadBucket,
      bridgeConfig: bridge,
      discordApiUrl: deployment.discordApiUrl,
      timeout: workerTimeout,
      maxConcurrency: deployment.workerMaxConcurrency,
      logRetention,
      logRemovalPolicy: removalPolicy,
    });
    this.api = ingest.api;
    this.ingestFunction = ingest.function;
    this.workerFunction = worker.function;
    this.topic = pipeline.topic;
    this.queue = pipeline.queue;
    this.deadLetterQueue = pipeline.deadLetterQueue;
    this.discordTokenSecret = secrets.discordToken;
    this.deliveriesTable = tables.deliveries;

    const monitoring = new Monitoring(this, 'Monitoring', {
      api: ingest.api,
      ingestFunction: ingest.function,
      workerFunction: worker.function,
      queue: pipeline.queue,
      deadLetterQueue: pipeline.deadLetterQueue,
      alarmEmail: deployment.alarmEmail,
      opsChannel: deployment.opsChannelId
        ? {
            channelId: deployment.opsChannelId,
            tokenSecret: secrets.discordToken,
            discordApiUrl: deployment.discordApiUrl,
          }
        : undefined,
      removalPolicy,
    });
    const githubToken = deployment.recovery
      ? new Secret(this, 'GitHubToken', {
          description: 'GitHub token (plain text) for the recovery job',
          removalPolicy,
        })
      : undefined;
    if (githubToken && deployment.recovery) {
      new FailedDeliveryRecovery(this, 'Recovery', {
        githubToken,
        hooks: parseHooks(deployment.recovery.hooks),
        deliveriesTable: tables.deliveries,
        interval: Duration.minutes(deployment.recovery.intervalMinutes),
        dashboard: monitoring.dashboard,
        alarmTopic: monitoring.alarmTopic,
        logRemovalPolicy: removalPolicy,
      });
    }

    const region = `--region ${Aws.REGION}`;
    const outputs: Record<string, [string, string]> = {
      WebhookUrl: [ingest.webhookUrl, 'Payload URL for the GitHub webhook (content type application/json)'],
      WebhookSecretName: [secrets.webhookSecret.secretName, 'Secret holding the webhook secret ({"current":"..."})'],
      DiscordTokenSecretName: [secrets.discordToken.secretName, 'Secret to put the Discord bot token in'],
      GetWebhookSecretCommand: [
        `aws secretsmanager get-secret-value --secret-id ${secrets.webhookSecret.secretArn} ${region} --query SecretString --output text`,
        'Prints {"current":"..."}: paste the value of "current" into the GitHub webhook secret',
      ],
      SetDiscordTokenCommand: [
        `aws secretsmanager put-secret-value --secret-id ${secrets.discordToken.secretArn} ${region} --secret-string <token>`,
        'Stores the Discord bot token (replace <token>)',
      ],
      QueueUrl: [pipeline.queue.queueUrl, 'SQS FIFO queue feeding the worker'],
      DeadLetterQueueUrl: [pipeline.deadLetterQueue.queueUrl, 'Deliveries that failed 5 times (redrive after a fix)'],
      DeliveriesTableName: [tables.deliveries.tableName, 'DynamoDB table of delivery records'],
      ThreadsTableName: [tables.threads.tableName, 'DynamoDB table of PR → Discord thread state'],
      PayloadBucketName: [pipeline.payloadBucket.bucketName, 'S3 bucket of large webhook bodies (claim checks)'],
      DashboardUrl: [monitoring.dashboardUrl, 'CloudWatch dashboard of the bridge'],
      AlarmTopicArn: [monitoring.alarmTopic.topicArn, 'SNS topic receiving every alarm state change'],
      TopicArn: [pipeline.topic.topicArn, 'SNS FIFO topic and its archive (npm run replay -- --from-aws)'],
      ...(githubToken && { GitHubTokenSecretName: [githubToken.secretName, 'Secret to put the GitHub token in'] }),
    };
    for (const [name, [value, description]] of Object.entries(outputs))
      new CfnOutput(this, name, { value, description });

    const payloadObjects = `AwsSolutions-IAM5[Resource::<${this.getLogicalId(pipeline.payloadBucket.node.defaultChild as CfnBucket)}.Arn>/*]`;
    const acknowledgements: [Construct, string, string][] = [
      [ingest.route, 'AwsSolutions-APIG4', WHY.hmac],
      [ingest.function, 'AwsSolutions-L1', WHY.node22],
      [worker.function, 'AwsSolutions-L1', WHY.node22],
      [ingest.function.role!, payloadObjects, `${WHY.claimCheck} s3:PutObject only, on this one bucket.`],
      [worker.function.role!, payloadObjects, `${WHY.claimCheck} s3:GetObject only, on this one bucket.`],
      [pipeline.payloadBucket, 'AwsSolutions-S1', WHY.accessLogs],
      [secrets.webhookSecret, 'AwsSolutions-SMG4', WHY.webhookRotation],
      [secrets.discordToken, 'AwsSolutions-SMG4', WHY.tokenRotation],
      ...(githubToken ? [[githubToken, 'AwsSolutions-SMG4', WHY.githubRotation] as [Construct, string, string]] : []),
    ];
    for (const [construct, id, reason] of acknowledgements) Validations.of(construct).acknowledge({ id, reason });
  }
}
