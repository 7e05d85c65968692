/**
 * Alarm notifier: subscribed to the alarm topic, posts each alarm state change to the Discord ops channel
 * through the worker's Discord adapter. Environment: `DISCORD_TOKEN_SECRET_ARN` (read at cold start,
 * cached), `OPS_CHANNEL_ID`, optional `DISCORD_API_URL`.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, SNSEvent } from 'aws-lambda';
import { createDiscordPort } from '../adapters/discord';
import { createLambdaObservability } from '../adapters/observability';
import { createSecretCache, type SecretCache } from '../adapters/secrets';
import { postAlarm } from '../core/alarm-message';
import type { DiscordPort, Log } from '../core/ports';

export interface NotifierEnv {
  readonly tokenSecretArn: string;
  readonly channelId: string;
  readonly discordApiUrl?: string;
}

export function readNotifierEnv(env: Readonly<Record<string, string | undefined>>): NotifierEnv {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value.length === 0) throw new Error(`Environment variable ${name} is not set.`);
    return value;
  };
  const api = env.DISCORD_API_URL;
  return {
    tokenSecretArn: required('DISCORD_TOKEN_SECRET_ARN'),
    channelId: required('OPS_CHANNEL_ID'),
    ...(api === undefined || api.length === 0 ? {} : { discordApiUrl: api }),
  };
}

export interface NotifierDeps {
  readonly env: NotifierEnv;
  readonly secrets: SecretCache;
  readonly log: Log;
  /** Builds the Discord port for a token. @default the worker's adapter (`createDiscordPort`) */
  readonly discord?: (token: string) => DiscordPort;
}

/** SNS records → one Discord message each. A failure throws, so Lambda's async retries try again (same nonce). */
export function createNotifier(deps: NotifierDeps): (event: SNSEvent) => Promise<void> {
  const makePort =
    deps.discord ??
    ((token: string) =>
      createDiscordPort({
        token,
        ...(deps.env.discordApiUrl === undefined ? {} : { api: deps.env.discordApiUrl }),
        log: deps.log,
      }));
  let port: { readonly token: string; readonly discord: DiscordPort } | undefined;
  return async (event) => {
    const token = (await deps.secrets.getSecret(deps.env.tokenSecretArn)).trim();
    if (port?.token !== token) port = { token, discord: makePort(token) };
    for (const record of event.Records) {
      const posted = await postAlarm(
        { snsMessageId: record.Sns.MessageId, message: record.Sns.Message, channelId: deps.env.channelId },
        port.discord,
      );
      deps.log.info('Alarm state change posted', { ...posted, snsMessageId: record.Sns.MessageId });
    }
  };
}

const observability = createLambdaObservability('notifier');
let notify: ((event: SNSEvent) => Promise<void>) | undefined;

export const handler = async (event: SNSEvent, context: Context): Promise<void> => {
  observability.logger.addContext(context);
  notify ??= createNotifier({
    env: readNotifierEnv(process.env),
    secrets: createSecretCache({ client: new SecretsManagerClient({}) }),
    log: observability.log,
  });
  await notify(event);
};
