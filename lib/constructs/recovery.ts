import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type Dashboard, GraphWidget, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type GitHubHook, parseHooks, RECOVERY_METRIC } from '../../lambdas/core/recovery';
import { BridgeFunction } from './bridge-function';
import { bridgeMetric, SERVICE } from './monitoring';

export interface FailedDeliveryRecoveryProps {
  /** Secret holding a GitHub token (plain text) allowed to read and redeliver the hooks' deliveries. */
  readonly githubToken: ISecret;
  /** The webhooks to watch: `{ kind: 'repo', owner, repo, hookId }` or `{ kind: 'org', org, hookId }`. */
  readonly hooks: readonly GitHubHook[];
  /** The deliveries table: a delivery marked `done` there is never redelivered. The function may only GetItem. */
  readonly deliveriesTable: ITable;
  /** How often the job runs (1 minute to 1 day). @default Duration.minutes(15) */
  readonly interval?: Duration;
  /** A GitHub-compatible API base URL (GitHub Enterprise Server: `https://HOST/api/v3`). @default 'https://api.github.com' */
  readonly githubApiUrl?: string;
  /** Adds a "Recovery job" widget to this dashboard. @default - none */
  readonly dashboard?: Dashboard;
  /** Alarm topic for the "recovery keeps failing" alarm. @default - no alarm */
  readonly alarmTopic?: ITopic;
  /** Removal policy of the function's log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * GitHub never retries a failed webhook delivery. This job (EventBridge Scheduler → Lambda) lists each hook's
 * recent deliveries, and asks GitHub once to redeliver each one that failed within the 3-day redelivery window,
 * was never redelivered and never processed. Its role reads the token secret and gets items of the deliveries
 * table, nothing else; the schedule's role may only invoke the function.
 */
export class FailedDeliveryRecovery extends Construct {
  public readonly function: BridgeFunction;
  public readonly schedule: Schedule;
  /** Alarm when the job counts errors in 3 runs in a row (only with `alarmTopic`). */
  public readonly errorsAlarm?: Alarm;

  constructor(scope: Construct, id: string, props: FailedDeliveryRecoveryProps) {
    super(scope, id);
    const hooks = parseHooks(props.hooks);
    const interval = props.interval ?? Duration.minutes(15);
    if (interval.toSeconds() < 60 || interval.toSeconds() > 86_400 || interval.toSeconds() % 60 !== 0) {
      throw new Error(
        `FailedDeliveryRecovery: interval must be whole minutes from 1 minute to 1 day, got ${interval}.`,
      );
    }

    this.function = new BridgeFunction(this, 'Function', {
      entry: 'lambdas/recovery/handler.ts',
      description: 'discord-pr-threads recovery job (redelivers failed GitHub webhook deliveries)',
      timeout: Duration.minutes(5),
      environment: {
        GITHUB_TOKEN_SECRET_ARN: props.githubToken.secretArn,
        RECOVERY_HOOKS: JSON.stringify(hooks),
        DELIVERIES_TABLE: props.deliveriesTable.tableName,
        ...(props.githubApiUrl === undefined ? {} : { GITHUB_API_URL: props.githubApiUrl }),
      },
      ...(props.logRemovalPolicy === undefined ? {} : { logRemovalPolicy: props.logRemovalPolicy }),
    });
    props.githubToken.grantRead(this.function);
    props.deliveriesTable.grant(this.function, 'dynamodb:GetItem');
    props.deliveriesTable.encryptionKey?.grantDecrypt(this.function);

    const stack = Stack.of(this);
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets EventBridge Scheduler invoke the discord-pr-threads recovery job',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Runs the discord-pr-threads recovery job',
      schedule: ScheduleExpression.rate(interval),
      target: new LambdaInvoke(this.function, {
        role: schedulerRole,
        // A missed run is replaced by the next one: retry briefly, never pile runs up.
        retryAttempts: 2,
        maxEventAge: interval.toSeconds() > 3600 ? Duration.hours(1) : interval,
      }),
    });

    const functionId = stack.getLogicalId(this.function.node.defaultChild as CfnFunction);
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason:
        'The Scheduler LambdaInvoke target grants lambda:InvokeFunction on the recovery function and its qualified ARNs (versions/aliases, `:*`); the role can invoke this one function and nothing else.',
    });
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22 (LTS, supported by Lambda into 2027) like every function of the bridge; upgrading is one line in lib/constructs/bridge-function.ts.',
    });

    const metric = (name: string, label: string) => bridgeMetric(name, SERVICE.recovery, { label });
    props.dashboard?.addWidgets(
      new GraphWidget({
        title: 'Recovery job (failed GitHub deliveries)',
        left: [
          metric(RECOVERY_METRIC.failed, 'Failed deliveries seen'),
          metric(RECOVERY_METRIC.redelivered, 'Redeliveries requested'),
          metric(RECOVERY_METRIC.skipped, 'Skipped'),
        ],
        right: [metric(RECOVERY_METRIC.errors, 'Errors')],
        width: 24,
        height: 6,
      }),
    );
    if (props.alarmTopic !== undefined) {
      const errorsAlarm = new Alarm(this, 'ErrorsAlarm', {
        alarmDescription:
          'The recovery job could not read or redeliver GitHub deliveries in 3 runs in a row: check the GitHub token secret (expired? scopes admin:repo_hook / admin:org_hook?) and the recovery function logs.',
        metric: bridgeMetric(RECOVERY_METRIC.errors, SERVICE.recovery).with({ period: interval }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        // The job emits its counters every run, zeros included: no data means it did not run at all.
        treatMissingData: TreatMissingData.BREACHING,
      });
      const action = new SnsAction(props.alarmTopic);
      errorsAlarm.addAlarmAction(action);
      errorsAlarm.addOkAction(action);
      this.errorsAlarm = errorsAlarm;
    }
  }
}
