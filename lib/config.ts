/**
 * Deployment configuration: read once in `bin/app.ts`, validated, then passed down as typed props.
 *
 * Two parts, both from cdk.json context (or from one JSON file given with `--context configFile=path.json`):
 * - `bridge`: the runtime config of the bridge (routing, mentions, noise policy), validated by
 *   {@link parseBridgeConfig} and handed to the worker as `BRIDGE_CONFIG`;
 * - `deployment`: the knobs of the infrastructure ({@link DeploymentConfig}).
 *
 * The example shipped in cdk.json uses PLACEHOLDER Discord ids (111111111111111111, 222222222222222222, ...):
 * they let `npx cdk synth` run on a fresh clone and must be replaced with real ids before a deployment is useful.
 * No secrets belong here: the webhook secret and the Discord bot token live in Secrets Manager.
 */
import { readFileSync } from 'node:fs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { ConfigError, describeIssue, parseBridgeConfig } from '../lambdas/core/config';
import type { BridgeConfig } from '../lambdas/core/types';

/** Discord's REST API base; `@discordjs/rest` appends `/v10`. */
export const DISCORD_API_URL = 'https://discord.com/api';
/** API Gateway → Lambda synchronous invocations carry at most 6 MB. */
export const MAX_LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** The smallest `maximumConcurrency` an SQS event source accepts. */
export const MIN_SQS_MAX_CONCURRENCY = 2;

const RETENTION_VALUES: readonly number[] = Object.values(RetentionDays).filter(
  (v): v is number => typeof v === 'number',
);

const int = (min: number, max: number) =>
  z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

export const deploymentConfigSchema = z
  .object({
    throttle: z
      .object({
        rateLimit: int(1, 10_000).default(20),
        burstLimit: int(1, 5_000).default(40),
      })
      .strict()
      .default({ rateLimit: 20, burstLimit: 40 }),
    archiveRetentionDays: int(1, 365).default(14),
    workerMaxConcurrency: int(MIN_SQS_MAX_CONCURRENCY, 1000).default(2),
    workerTimeoutSeconds: int(3, 900).default(30),
    maxBodyBytes: int(1024, MAX_LAMBDA_PAYLOAD_BYTES).default(MAX_LAMBDA_PAYLOAD_BYTES),
    discordApiUrl: z
      .url('must be a URL')
      .refine((u) => u.startsWith('https://'), 'must be an https URL')
      .default(DISCORD_API_URL),
    removalPolicy: z.enum(['retain', 'destroy'], 'must be "retain" or "destroy"').default('retain'),
    logRetentionDays: z
      .number()
      .refine((v) => RETENTION_VALUES.includes(v), `must be one of ${RETENTION_VALUES.join(', ')}`)
      .default(30),
    alarmEmail: z.email('must be an email address').optional(),
    opsChannelId: z
      .string()
      .regex(/^\d{17,20}$/, 'must be a Discord id (17-20 digits)')
      .optional(),
    recovery: z
      .object({
        hooks: z.array(z.unknown()).min(1, 'must list at least one hook'),
        intervalMinutes: int(1, 1440).default(15),
      })
      .strict()
      .optional(),
  })
  .strict();

/** Infrastructure settings. Every field has a safe default (listed in the README under "Default settings"). */
export interface DeploymentConfig {
  /** HTTP API stage throttling. @default { rateLimit: 20, burstLimit: 40 } */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** SNS FIFO archive (replay window) and claim-check object expiry, in days (1-365). @default 14 */
  readonly archiveRetentionDays: number;
  /** Maximum concurrent worker invocations (SQS event source; minimum 2). @default 2 */
  readonly workerMaxConcurrency: number;
  /** Worker Lambda timeout; the queue visibility timeout is 6 × this. @default 30 */
  readonly workerTimeoutSeconds: number;
  /** Largest webhook body ingest accepts (larger → 413). @default 6 MB */
  readonly maxBodyBytes: number;
  /** Discord REST base URL (e.g. a rate-limit-sharing proxy). @default https://discord.com/api */
  readonly discordApiUrl: string;
  /** What happens to tables, bucket, key, secrets and log groups when the stack is deleted. @default 'retain' */
  readonly removalPolicy: 'retain' | 'destroy';
  /** CloudWatch Logs retention for function and access logs. @default 30 */
  readonly logRetentionDays: number;
  /** Where alarms are emailed. @default - no email subscription */
  readonly alarmEmail?: string;
  /** Discord channel that receives alarm state changes (posted by a small notifier Lambda). @default - none */
  readonly opsChannelId?: string;
  /**
   * Failed-delivery recovery job: GitHub webhooks (repository or organization hook ids) whose failed deliveries are
   * redelivered; needs a GitHub token in the `GitHubTokenSecretName` secret. @default - off
   */
  readonly recovery?: { readonly hooks: readonly unknown[]; readonly intervalMinutes: number };
}

/** Everything `bin/app.ts` hands to the stack. */
export interface AppConfig {
  readonly bridge: BridgeConfig;
  readonly deployment: DeploymentConfig;
}

/** Validate the `deployment` part; throws {@link ConfigError} naming the field. */
export function parseDeploymentConfig(raw: unknown, prefix = 'deployment'): DeploymentConfig {
  const result = deploymentConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(describeIssue(result.error, prefix));
  return result.data;
}

/** Reads a context value; `App.node.tryGetContext` fits. */
export type ContextReader = (key: string) => unknown;

/**
 * Load and validate the whole configuration: from the file named by context `configFile` when given
 * (it replaces the cdk.json example entirely), else from context keys `bridge` and `deployment`.
 * Context values passed as JSON strings (`-c bridge='{...}'`) are parsed.
 */
export function loadAppConfig(context: ContextReader, readFile: (path: string) => string = readUtf8): AppConfig {
  const configFile = context('configFile');
  if (configFile !== undefined) {
    if (typeof configFile !== 'string' || configFile === '') {
      throw new ConfigError('Invalid configuration: configFile must be a file path.');
    }
    const file = fromJson(readConfigFile(configFile, readFile), 'configFile');
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new ConfigError(`Invalid configuration: configFile ${configFile} must hold a JSON object.`);
    }
    const unknownKey = Object.keys(file).find((k) => k !== 'bridge' && k !== 'deployment');
    if (unknownKey !== undefined) {
      throw new ConfigError(`Invalid configuration: configFile key ${unknownKey} is not bridge or deployment.`);
    }
    const { bridge, deployment } = file as { bridge?: unknown; deployment?: unknown };
    return { bridge: parseBridgeConfig(bridge), deployment: parseDeploymentConfig(deployment) };
  }
  return {
    bridge: parseBridgeConfig(fromJson(context('bridge'), 'bridge')),
    deployment: parseDeploymentConfig(fromJson(context('deployment'), 'deployment')),
  };
}

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

function readConfigFile(path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? String(err.code) : 'unreadable';
    throw new ConfigError(`Invalid configuration: configFile ${path} could not be read (${code}).`);
  }
}

function fromJson(value: unknown, field: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new ConfigError(`Invalid configuration: ${field} is not valid JSON.`);
  }
}
