/**
 * Scheduled recovery job (EventBridge Scheduler → this Lambda): asks GitHub to redeliver the webhook
 * deliveries that failed and that the bridge never finished. Environment:
 * `GITHUB_TOKEN_SECRET_ARN` (the token, plain text), `RECOVERY_HOOKS` (JSON list of hooks),
 * `DELIVERIES_TABLE`, optional `GITHUB_API_URL`.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { createGitHubClient } from '../adapters/github';
import { createLambdaObservability, type FlushableMetrics } from '../adapters/observability';
import { createSecretCache, type SecretCache } from '../adapters/secrets';
import { DELIVERIES_TABLE } from '../adapters/tables';
import type { Log } from '../core/ports';
import { type GitHubHook, parseHooks, type RecoverySummary, recoverFailedDeliveries } from '../core/recovery';

export interface RecoveryEnv {
  readonly tokenSecretArn: string;
  readonly hooks: readonly GitHubHook[];
  readonly deliveriesTable: string;
  readonly githubApiUrl?: string;
}

export function readRecoveryEnv(env: Readonly<Record<string, string | undefined>>): RecoveryEnv {
  const required = (name: string): string => {
    const value = env[name];
    if (value === undefined || value.length === 0) throw new Error(`Environment variable ${name} is not set.`);
    return value;
  };
  const githubApiUrl = env.GITHUB_API_URL;
  return {
    tokenSecretArn: required('GITHUB_TOKEN_SECRET_ARN'),
    hooks: parseHooks(JSON.parse(required('RECOVERY_HOOKS'))),
    deliveriesTable: required('DELIVERIES_TABLE'),
    ...(githubApiUrl === undefined || githubApiUrl.length === 0 ? {} : { githubApiUrl }),
  };
}

/** True when the worker marked the delivery `done` (and the record has not expired). */
export function deliveryDoneCheck(
  doc: DynamoDBDocumentClient,
  table: string,
  now: () => number,
): (guid: string) => Promise<boolean> {
  return async (guid) => {
    const out = await doc.send(new GetCommand({ TableName: table, Key: { [DELIVERIES_TABLE.partitionKey]: guid } }));
    const item = out.Item;
    if (item === undefined || item.status !== 'done') return false;
    return Number(item[DELIVERIES_TABLE.ttlAttribute]) >= Math.floor(now() / 1000);
  };
}

export interface RecoveryHandlerDeps {
  readonly env: RecoveryEnv;
  readonly secrets: SecretCache;
  readonly doc: DynamoDBDocumentClient;
  readonly log: Log;
  readonly metrics: FlushableMetrics;
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export function createRecoveryHandler(deps: RecoveryHandlerDeps): () => Promise<RecoverySummary> {
  const now = deps.now ?? Date.now;
  return async () => {
    try {
      const token = (await deps.secrets.getSecret(deps.env.tokenSecretArn)).trim();
      const github = createGitHubClient({
        token,
        ...(deps.env.githubApiUrl === undefined ? {} : { baseUrl: deps.env.githubApiUrl }),
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      });
      return await recoverFailedDeliveries(
        { hooks: deps.env.hooks, now: now() },
        {
          github,
          isProcessed: deliveryDoneCheck(deps.doc, deps.env.deliveriesTable, now),
          log: deps.log,
          metrics: deps.metrics,
        },
      );
    } finally {
      deps.metrics.flush();
    }
  };
}

const observability = createLambdaObservability('recovery');
let run: (() => Promise<RecoverySummary>) | undefined;

export const handler = async (_event: unknown, context: Context): Promise<RecoverySummary> => {
  observability.logger.addContext(context);
  // Built on the first invocation (cold start): configuration errors then fail the invocation, visibly.
  run ??= createRecoveryHandler({
    env: readRecoveryEnv(process.env),
    secrets: createSecretCache({ client: new SecretsManagerClient({}) }),
    doc: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    log: observability.log,
    metrics: observability.metrics,
  });
  return run();
};
