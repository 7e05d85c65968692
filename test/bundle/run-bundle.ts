/**
 * Runs a synthesized function's bundle like Lambda would: its asset directory copied alone to a temp
 * "task root" outside the repository, a FRESH `node` process per invocation (`driver.cjs`), `cwd` and `HOME` in
 * the temp dir, `NODE_PATH` empty, no inherited environment: only the template's variables, what the Lambda
 * runtime sets, fake credentials and the `AWS_ENDPOINT_URL_*` settings pointing at loopback stand-ins.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ACCOUNT, type BundledFunction, REGION } from './synth';

export interface InvocationError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

export interface Invocation<R> {
  /** `init-error`: the module failed to load or export the handler (bad path, missing module, ESM/CJS, env). */
  readonly status: 'ok' | 'error' | 'init-error' | 'timeout' | 'crashed';
  readonly result?: R;
  readonly error?: InvocationError;
  /** Non-loopback `host:port` connections the driver refused. */
  readonly blocked: readonly string[];
  /** Packages still resolvable from the task root outside the bundle. */
  readonly resolvable: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
}

/** Where the bundles' AWS clients must go: every value a loopback URL. */
export interface AwsEndpoints {
  readonly AWS_ENDPOINT_URL_SNS: string;
  readonly AWS_ENDPOINT_URL_SECRETS_MANAGER: string;
  readonly AWS_ENDPOINT_URL_DYNAMODB: string;
  readonly AWS_ENDPOINT_URL_S3: string;
  /** Every other service (a trap that records unexpected calls). */
  readonly AWS_ENDPOINT_URL: string;
}

export interface InvokeOptions {
  readonly overrides?: Readonly<Record<string, string>>;
  readonly unset?: readonly string[];
}

export interface SandboxOptions {
  /** Variables the handler reads: the sandbox refuses to start when the template lacks one. */
  readonly requires: readonly string[];
  /** Names of template variables a test may replace (the only allowed one: the Discord API URL). @default none */
  readonly overridable?: readonly string[];
}

const DRIVER = path.join(__dirname, 'driver.cjs');
const FAKE_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKEBUNDLETESTS00',
  AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key-for-bundle-tests',
  AWS_SESSION_TOKEN: 'fake-session-token-for-bundle-tests',
};

export class LambdaSandbox {
  readonly root: string;
  readonly taskRoot: string;
  readonly #fn: BundledFunction;
  readonly #overridable: ReadonlySet<string>;
  #runs = 0;

  constructor(fn: BundledFunction, options: SandboxOptions) {
    const missing = options.requires.filter((name) => !fn.environment[name]);
    if (missing.length > 0) {
      throw new Error(
        `${fn.logicalId} (${fn.description}): the template's Environment.Variables lack ${missing.join(', ')}, which the handler reads. Add ${missing.length > 1 ? 'them' : 'it'} to the function's environment in lib/constructs.`,
      );
    }
    this.#fn = fn;
    this.#overridable = new Set(options.overridable ?? []);
    this.root = mkdtempSync(path.join(tmpdir(), `dpt-lambda-${fn.logicalId}-`));
    this.taskRoot = path.join(this.root, 'task');
    // Only what would be uploaded: the asset directory, nothing from the repository.
    cpSync(fn.assetDir, this.taskRoot, { recursive: true });
    mkdirSync(path.join(this.root, 'runtime'));
    copyFileSync(DRIVER, path.join(this.root, 'runtime', 'driver.cjs'));
    mkdirSync(path.join(this.root, 'home'));
  }

  /** The environment a run gets (without per-run overrides): useful to assert what the bundle sees. */
  environment(endpoints: AwsEndpoints, overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
    for (const name of Object.keys(overrides)) {
      if (name in this.#fn.environment && !this.#overridable.has(name)) {
        throw new Error(`${this.#fn.logicalId}: the template's ${name} may not be overridden in a bundle test.`);
      }
    }
    const fn = this.#fn;
    const home = path.join(this.root, 'home');
    return {
      // What the Lambda Node.js runtime sets.
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: `${fn.logicalId}-bundle-test`,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.logicalId}`,
      AWS_LAMBDA_LOG_STREAM_NAME: '2025/06/02/[$LATEST]0123456789abcdef',
      ...(fn.logFormat === undefined ? {} : { AWS_LAMBDA_LOG_FORMAT: fn.logFormat }),
      ...(fn.applicationLogLevel === undefined ? {} : { AWS_LAMBDA_LOG_LEVEL: fn.applicationLogLevel }),
      LAMBDA_TASK_ROOT: this.taskRoot,
      LAMBDA_RUNTIME_DIR: path.join(this.root, 'runtime'),
      _HANDLER: fn.handler,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      PATH: '/usr/local/bin:/usr/bin:/bin',
      // Nothing to fall back on: no module path, no home config, no shared AWS config or credentials, no IMDS.
      NODE_PATH: '',
      HOME: home,
      AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...FAKE_CREDENTIALS,
      ...endpoints,
      ...fn.environment,
      ...overrides,
    };
  }

  /**
   * One cold invocation in a fresh process. `overrides` replace variables (template ones only if overridable);
   * `unset` drops variables after that (to prove what happens without an endpoint setting).
   */
  async invoke<R>(event: unknown, endpoints: AwsEndpoints, options: InvokeOptions = {}): Promise<Invocation<R>> {
    const env = this.environment(endpoints, options.overrides);
    for (const name of options.unset ?? []) delete env[name];
    this.#runs += 1;
    const resultPath = path.join(this.root, `result-${this.#runs}.json`);
    const timeoutMs = this.#fn.timeoutSeconds * 1000;
    const child = spawn(
      process.execPath,
      [path.join(this.root, 'runtime', 'driver.cjs'), resultPath, String(timeoutMs)],
      {
        cwd: this.root,
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // A safety net only (the driver enforces the function's timeout itself), never an assertion.
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 15_000);
    child.stdin.end(JSON.stringify(event));
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    clearTimeout(killer);
    const out = Buffer.concat(stdout).toString('utf8');
    const err = Buffer.concat(stderr).toString('utf8');
    let parsed: Omit<Invocation<R>, 'stdout' | 'stderr' | 'exitCode'>;
    try {
      parsed = JSON.parse(readFileSync(resultPath, 'utf8')) as Omit<Invocation<R>, 'stdout' | 'stderr' | 'exitCode'>;
    } catch {
      parsed = { status: 'crashed', blocked: [], resolvable: [] };
    }
    return { ...parsed, stdout: out, stderr: err, exitCode };
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A readable one-line summary for assertion messages. */
export function describeRun(run: Invocation<unknown>): string {
  const error = run.error === undefined ? '' : ` ${run.error.name}: ${run.error.message}\n${run.error.stack}`;
  return `status=${run.status} exit=${run.exitCode}${error}\n--- stdout\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
}

export const FAKE_ACCESS_KEY_ID = FAKE_CREDENTIALS.AWS_ACCESS_KEY_ID;
export const FAKE_ACCOUNT = ACCOUNT;
