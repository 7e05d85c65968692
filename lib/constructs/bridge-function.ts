import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Repository root: entries are given relative to it, and its package-lock.json pins the bundle. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The house function's esbuild options, in esbuild's own terms (`test/bench/cold-load.ts` builds with exactly
 * these to measure what ships). Besides bundle + platform node + the output file, which NodejsFunction adds:
 * - `mainFields: ['module', 'main']`: the AWS SDK's ES builds, which esbuild tree-shakes (its CommonJS builds
 *   are single files it keeps whole);
 * - `alias` `@discordjs/rest` → its web build: the same REST client on Node's global fetch, without the
 *   ~400 KB of undici its Node entry bundles (the Discord adapter passes global fetch explicitly either way).
 */
export const HOUSE_ESBUILD_OPTIONS = {
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  mainFields: ['module', 'main'],
  /** Resolved from the project root (esbuild's working directory when bundling). */
  alias: { '@discordjs/rest': './node_modules/@discordjs/rest/dist/web.js' },
} as const;

/** Environment variables the house function sets itself. */
const RESERVED_ENVIRONMENT = ['NODE_OPTIONS'] as const;

export interface BridgeFunctionProps {
  /** Handler file relative to the repository root, exporting `handler` (e.g. `lambdas/ingest/handler.ts`). */
  readonly entry: string;
  /** What the function does (shown in the Lambda console). */
  readonly description: string;
  /** Environment variables: ARNs and names only, never secret values. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** Retention of the function's log group. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the function's log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The house Lambda function: Node.js 22 on arm64, JSON logs into an explicit log group with retention,
 * source maps, a minified CommonJS bundle built by the local esbuild (no Docker), and a role that can write
 * only to its own log group (no `AWSLambdaBasicExecutionRole`). Callers state entry, description and environment.
 */
export class BridgeFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: BridgeFunctionProps) {
    const reserved = RESERVED_ENVIRONMENT.find((key) => props.environment?.[key] !== undefined);
    if (reserved !== undefined) {
      throw new Error(`BridgeFunction ${id}: environment variable ${reserved} is set by the house function.`);
    }
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.description}`,
    });
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        minify: HOUSE_ESBUILD_OPTIONS.minify,
        sourceMap: HOUSE_ESBUILD_OPTIONS.sourcemap,
        target: HOUSE_ESBUILD_OPTIONS.target,
        format: OutputFormat.CJS,
        mainFields: [...HOUSE_ESBUILD_OPTIONS.mainFields],
        esbuildArgs: {
          '--alias': Object.entries(HOUSE_ESBUILD_OPTIONS.alias).map(([from, to]) => `${from}=${to}`),
        },
        // Bundle the AWS SDK too: the deployed code runs exactly the versions package-lock.json pins.
        externalModules: [],
      },
    });
    logGroup.grantWrite(role);
  }
}
