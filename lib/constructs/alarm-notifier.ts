import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { BridgeFunction } from './bridge-function';

export interface AlarmNotifierProps {
  /** The alarm topic to subscribe to. */
  readonly topic: ITopic;
  /** Discord channel id (17-20 digits) that receives the alarm state changes. */
  readonly channelId: string;
  /** Secret holding the Discord bot token (plain text); the function may read this secret only. */
  readonly tokenSecret: ISecret;
  /** A Discord-compatible API base URL. @default 'https://discord.com/api' */
  readonly discordApiUrl?: string;
  /** Removal policy of the function's log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * A small Lambda subscribed to the alarm topic that posts each alarm state change (name, state, reason,
 * console link) to a Discord ops channel through the worker's Discord adapter, with no mention parsed.
 * Its role can write its own logs and read the token secret, nothing else.
 */
export class AlarmNotifier extends Construct {
  public readonly function: BridgeFunction;

  constructor(scope: Construct, id: string, props: AlarmNotifierProps) {
    super(scope, id);
    if (!/^\d{17,20}$/.test(props.channelId)) {
      throw new Error(`AlarmNotifier: channelId must be a Discord id (17-20 digits), got "${props.channelId}".`);
    }
    this.function = new BridgeFunction(this, 'Function', {
      entry: 'lambdas/notifier/handler.ts',
      description: 'discord-pr-threads alarm notifier (alarm topic to Discord ops channel)',
      timeout: Duration.seconds(15),
      environment: {
        DISCORD_TOKEN_SECRET_ARN: props.tokenSecret.secretArn,
        OPS_CHANNEL_ID: props.channelId,
        ...(props.discordApiUrl === undefined ? {} : { DISCORD_API_URL: props.discordApiUrl }),
      },
      ...(props.logRemovalPolicy === undefined ? {} : { logRemovalPolicy: props.logRemovalPolicy }),
    });
    props.tokenSecret.grantRead(this.function);
    props.topic.addSubscription(new LambdaSubscription(this.function));
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to Node.js 22 (LTS, supported by Lambda into 2027) like every function of the bridge; upgrading is one line in lib/constructs/bridge-function.ts.',
    });
  }
}
