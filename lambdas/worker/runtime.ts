/**
 * Builds the worker's dependencies once per container from its environment (names, ARNs and config; never
 * secret values). The Discord token is read from Secrets Manager at cold start and cached.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDiscordPort } from '../adapters/discord';
import { createDeliveryStore, createDynamo, createThreadStore } from '../adapters/dynamo';
import type { FlushableMetrics } from '../adapters/observability';
import { createSecretCache } from '../adapters/secrets';
import { resolveBody } from '../adapters/sns-publisher';
import { parseBridgeConfig } from '../core/config';
import { RetryableError } from '../core/errors';
import { guardForbidden } from '../core/guard';
import type { Log } from '../core/ports';
import { createChannelDirectory, type WorkerDeps } from '../core/process';

export interface WorkerEnv {
  readonly tokenSecretArn: string;
  readonly deliveriesTable: string;
  readonly threadsTable: string;
  readonly payloadBucket?: string;
  readonly bridgeConfig: string;
  readonly discordApiUrl?: string;
  readonly claimLeaseSeconds: number;
}

export function readWorkerEnv(env: NodeJS.ProcessEnv): WorkerEnv {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`Worker misconfigured: environment variable ${name} is not set.`);
    return value;
  };
  const lease = Number(need('CLAIM_LEASE_SECONDS'));
  if (!Number.isFinite(lease) || lease <= 0) throw new Error('Worker misconfigured: CLAIM_LEASE_SECONDS must be > 0.');
  return {
    tokenSecretArn: need('DISCORD_TOKEN_SECRET_ARN'),
    deliveriesTable: need('DELIVERIES_TABLE'),
    threadsTable: need('THREADS_TABLE'),
    payloadBucket: env.PAYLOAD_BUCKET || undefined,
    bridgeConfig: need('BRIDGE_CONFIG'),
    discordApiUrl: env.DISCORD_API_URL || undefined,
    claimLeaseSeconds: lease,
  };
}

/** Returns a function that yields the deps, building them on first use and when the token value changes. */
export function workerDepsFactory(env: WorkerEnv, log: Log, metrics: FlushableMetrics): () => Promise<WorkerDeps> {
  const config = parseBridgeConfig(JSON.parse(env.bridgeConfig), 'BRIDGE_CONFIG');
  const doc = createDynamo();
  const deliveries = createDeliveryStore({ doc, table: env.deliveriesTable });
  const threads = createThreadStore({ doc, table: env.threadsTable });
  const secrets = createSecretCache({ client: new SecretsManagerClient({}) });
  let s3: S3Client | undefined;
  const loadBody: WorkerDeps['loadBody'] = async (envelope) => {
    if (envelope.body !== undefined) return envelope.body;
    // Loaded on the first claim check only (bodies over the SNS limit): most cold starts never evaluate the S3 client.
    s3 ??= new (await import('@aws-sdk/client-s3')).S3Client({});
    return resolveBody(envelope, s3);
  };
  let current: { token: string; deps: WorkerDeps } | undefined;
  return async () => {
    const token = await secrets.getSecret(env.tokenSecretArn);
    // The stack creates the secret with a JSON placeholder; calling Discord with it would earn 401s, which count
    // toward Discord's IP ban. Fail (the queue retries) until the real token is put in.
    if (token.trimStart().startsWith('{')) {
      throw new RetryableError(
        'The Discord bot token secret still holds its placeholder; set it with the SetDiscordTokenCommand output.',
      );
    }
    if (current?.token !== token) {
      const discord = guardForbidden(createDiscordPort({ token, api: env.discordApiUrl, log, metrics }), Date.now);
      const deps: WorkerDeps = {
        deliveries,
        threads,
        discord,
        config,
        loadBody,
        log,
        metrics,
        now: Date.now,
        leaseMs: env.claimLeaseSeconds * 1000,
        channels: createChannelDirectory(discord),
      };
      current = { token, deps };
    }
    return current.deps;
  };
}
