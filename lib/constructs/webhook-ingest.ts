import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, type HttpRoute, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MAX_LAMBDA_PAYLOAD_BYTES } from '../config';
import { BridgeFunction } from './bridge-function';

/** The webhook route GitHub posts to. */
export const WEBHOOK_PATH = '/webhooks/github';

/** HTTP API access log line: request facts only, never headers (the signature) or bodies. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integration.status',
    integrationLatency: '$context.integration.latency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

export interface WebhookIngestProps {
  /** Secret holding `{"current":"...","previous"?:"..."}`; the function may read it. */
  readonly webhookSecret: ISecret;
  /** SNS FIFO topic the function publishes envelopes to. */
  readonly topic: ITopic;
  /** Customer-managed key of {@link topic}, when it has one (the publisher needs GenerateDataKey/Decrypt). @default - topic not encrypted with a customer-managed key */
  readonly topicKey?: IKey;
  /** Claim-check bucket for bodies too large for SNS; the function may only put objects. */
  readonly payloadBucket: IBucket;
  /** Steady-state requests per second across the stage. @default 20 */
  readonly rateLimit?: number;
  /** Burst capacity of the stage. @default 40 */
  readonly burstLimit?: number;
  /** Largest body accepted, in bytes (at most 6 MB, the API Gateway → Lambda limit). @default 6 MB */
  readonly maxBodyBytes?: number;
  /** Retention of the function and access logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the log groups. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * GitHub's entry point: an HTTP API with one route, `POST /webhooks/github`, throttled and access-logged,
 * in front of the ingest Lambda (verify signature → classify → publish). Every request is authenticated by
 * the HMAC signature inside the function, so the route itself has no authorizer.
 */
export class WebhookIngest extends Construct {
  public readonly function: BridgeFunction;
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly route: HttpRoute;
  public readonly accessLogs: LogGroup;
  /** Full URL to paste into GitHub, path included. */
  public readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: WebhookIngestProps) {
    super(scope, id);
    const maxBodyBytes = props.maxBodyBytes ?? MAX_LAMBDA_PAYLOAD_BYTES;
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1 || maxBodyBytes > MAX_LAMBDA_PAYLOAD_BYTES) {
      throw new Error(`WebhookIngest: maxBodyBytes must be a whole number from 1 to ${MAX_LAMBDA_PAYLOAD_BYTES}.`);
    }
    if (!props.topic.fifo) throw new Error('WebhookIngest: topic must be an SNS FIFO topic.');
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const logRemovalPolicy = props.logRemovalPolicy ?? RemovalPolicy.RETAIN;

    this.function = new BridgeFunction(this, 'Function', {
      entry: 'lambdas/ingest/handler.ts',
      description: 'discord-pr-threads ingest: verifies GitHub webhook signatures and publishes deliveries',
      memorySize: 256,
      timeout: Duration.seconds(5),
      logRetention,
      logRemovalPolicy,
      environment: {
        WEBHOOK_SECRET_ARN: props.webhookSecret.secretArn,
        TOPIC_ARN: props.topic.topicArn,
        PAYLOAD_BUCKET: props.payloadBucket.bucketName,
        MAX_BODY_BYTES: String(maxBodyBytes),
        POWERTOOLS_SERVICE_NAME: 'ingest',
        POWERTOOLS_METRICS_NAMESPACE: 'DiscordPrThreads',
      },
    });
    props.webhookSecret.grantRead(this.function);
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: [props.topic.topicArn] }));
    props.topicKey?.grant(this.function, 'kms:GenerateDataKey', 'kms:Decrypt');
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [props.payloadBucket.arnForObjects('*')] }),
    );

    this.api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-webhooks`,
      description: 'discord-pr-threads: receives GitHub webhooks',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy: logRemovalPolicy });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      description: 'Throttled, access-logged default stage',
      throttle: { rateLimit: props.rateLimit ?? 20, burstLimit: props.burstLimit ?? 40 },
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });
    [this.route] = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Ingest', this.function),
    });
    this.webhookUrl = `${this.stage.url}${WEBHOOK_PATH.slice(1)}`;
  }
}
