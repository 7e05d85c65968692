/**
 * `npm run replay -- <delivery-id>... | --last N | --file delivery.json... | --from-aws ... [--dry-run]`
 * `npm run replay -- --save <delivery-id> <path>`
 *
 * Re-runs recorded deliveries through the worker logic. Each replay runs under a fresh delivery id
 * (`<id>-replay-…`), so it is not skipped as a duplicate; the semantic keys still hold (one thread per PR,
 * one message per comment). `--dry-run` plans and prints the Discord actions and changes nothing.
 *
 * When `npm start` is running on the same data directory, the replay goes through it (its queue, its Discord,
 * its page); otherwise the command starts the worker runtime itself (a real Discord only: the preview's
 * emulator lives in the `npm start` process).
 */
import { createJsonLinesLog } from '../lambdas/adapters/observability';
import { withFields } from '../lambdas/core/ingest';
import { planEnvelope, processEnvelope } from '../lambdas/core/process';
import type { Envelope, Plan } from '../lambdas/core/types';
import { type ReplayResult, replayId } from './bridge';
import { EnvError, type LocalEnv, readEnv } from './env';
import { createHistory, type DeliveryRecord, recordFor } from './history';
import { describeAction } from './page';
import { describeError } from './recording-discord';
import { dataDirSource, fileSource, type ReplaySource, ReplaySourceError, saveDelivery } from './replay-sources';
import { readLock, startRuntime } from './runtime';
import { API_HEADER, API_HEADER_VALUE } from './server';

export const USAGE = `Usage:
  npm run replay -- <delivery-id>... [--dry-run]      deliveries from the data directory
  npm run replay -- --last N [--dry-run]              the last N deliveries received
  npm run replay -- --file delivery.json... [--dry-run]   recorded { headers, body } files
  npm run replay -- --from-aws --topic-arn ARN --since 2025-01-31T00:00:00Z [--until ...] [--repo owner/name] [--pr N] [--dry-run]
  npm run replay -- --save <delivery-id> <path>       write a delivery as a test fixture`;

export interface ReplayIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export type ReplayArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'save'; readonly id: string; readonly path: string }
  | {
      readonly kind: 'replay';
      readonly dryRun: boolean;
      readonly source:
        | { readonly kind: 'ids'; readonly ids: readonly string[] }
        | { readonly kind: 'last'; readonly last: number }
        | { readonly kind: 'files'; readonly paths: readonly string[] }
        | {
            readonly kind: 'aws';
            readonly topicArn: string;
            readonly since: Date;
            readonly until?: Date;
            readonly repo?: string;
            readonly pr?: number;
          };
    };

/** Argument problems; one sentence. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function date(raw: string | undefined, flag: string): Date {
  const d = raw === undefined ? Number.NaN : Date.parse(raw);
  if (Number.isNaN(d)) throw new UsageError(`${flag} needs an ISO date, e.g. 2025-01-31T00:00:00Z.`);
  return new Date(d);
}

export function parseArgs(argv: readonly string[]): ReplayArgs {
  const ids: string[] = [];
  const files: string[] = [];
  const aws: { topicArn?: string; since?: Date; until?: Date; repo?: string; pr?: number } = {};
  let fromAws = false;
  let last: number | undefined;
  let dryRun = false;
  let save: { id: string; path: string } | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${arg} needs a value.`);
      return v;
    };
    switch (arg) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--dry-run':
        dryRun = true;
        break;
      case '--last': {
        const raw = next();
        last = Number(raw);
        if (!/^\d+$/.test(raw) || last < 1) throw new UsageError('--last needs a positive whole number.');
        break;
      }
      case '--file':
        files.push(next());
        break;
      case '--save':
        save = { id: next(), path: next() };
        break;
      case '--from-aws':
        fromAws = true;
        break;
      case '--topic-arn':
        aws.topicArn = next();
        break;
      case '--since':
        aws.since = date(next(), '--since');
        break;
      case '--until':
        aws.until = date(next(), '--until');
        break;
      case '--repo':
        aws.repo = next();
        break;
      case '--pr': {
        const raw = next();
        aws.pr = Number(raw);
        if (!/^\d+$/.test(raw)) throw new UsageError('--pr needs a pull request number.');
        break;
      }
      default:
        if (arg.startsWith('--')) throw new UsageError(`Unknown option ${arg}.`);
        if (!/^[\w-]{1,120}$/.test(arg)) throw new UsageError(`${arg} is not a delivery id.`);
        ids.push(arg);
    }
  }
  if (save !== undefined) {
    if (ids.length + files.length > 0 || last !== undefined || fromAws) {
      throw new UsageError('--save takes one delivery id and a path, nothing else.');
    }
    return { kind: 'save', ...save };
  }
  const chosen = [ids.length > 0, last !== undefined, files.length > 0, fromAws].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('Give delivery ids, --last N, --file or --from-aws (exactly one of them).');
  if (fromAws) {
    if (aws.topicArn === undefined) throw new UsageError('--from-aws needs --topic-arn (the stack output TopicArn).');
    if (aws.since === undefined) throw new UsageError('--from-aws needs --since.');
    return {
      kind: 'replay',
      dryRun,
      source: {
        kind: 'aws',
        topicArn: aws.topicArn,
        since: aws.since,
        ...(aws.until === undefined ? {} : { until: aws.until }),
        ...(aws.repo === undefined ? {} : { repo: aws.repo }),
        ...(aws.pr === undefined ? {} : { pr: aws.pr }),
      },
    };
  }
  if (ids.length > 0) return { kind: 'replay', dryRun, source: { kind: 'ids', ids } };
  if (last !== undefined) return { kind: 'replay', dryRun, source: { kind: 'last', last } };
  return { kind: 'replay', dryRun, source: { kind: 'files', paths: files } };
}

async function awsSource(source: Extract<ReplayArgs, { kind: 'replay' }>['source']): Promise<ReplaySource> {
  if (source.kind !== 'aws') throw new Error('not an AWS source');
  const [{ SNSClient }, { SQSClient }, { S3Client }, { fetchArchivedDeliveries }, { resolveBody }, { envelopeSource }] =
    await Promise.all([
      import('@aws-sdk/client-sns'),
      import('@aws-sdk/client-sqs'),
      import('@aws-sdk/client-s3'),
      import('./archive-source'),
      import('../lambdas/adapters/sns-publisher'),
      import('./replay-sources'),
    ]);
  const s3 = new S3Client({});
  const { kind: _kind, ...query } = source;
  return envelopeSource(
    `the archive of ${source.topicArn}`,
    () =>
      fetchArchivedDeliveries(query, {
        sns: new SNSClient({}),
        sqs: new SQSClient({}),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      }),
    (envelope) => resolveBody(envelope, s3),
  );
}

function sourceFor(dataDir: string, args: Extract<ReplayArgs, { kind: 'replay' }>): Promise<ReplaySource> {
  const { source } = args;
  switch (source.kind) {
    case 'ids':
      return Promise.resolve(dataDirSource(dataDir, { ids: source.ids }));
    case 'last':
      return Promise.resolve(dataDirSource(dataDir, { last: source.last }));
    case 'files':
      return Promise.resolve(fileSource(source.paths));
    case 'aws':
      return awsSource(source);
  }
}

/** Runs one replay: through the running bridge, or with a runtime of our own. */
interface ReplayTarget {
  readonly description: string;
  replay(envelope: Envelope, dryRun: boolean): Promise<ReplayResult>;
  close(): Promise<void>;
}

/** Asks the running bridge to write its lazily kept history, so the data directory holds every delivery. */
async function flushHistory(url: string): Promise<void> {
  const res = await fetch(`${url}/api/flush`, { method: 'POST', headers: { [API_HEADER]: API_HEADER_VALUE } });
  if (!res.ok) throw new Error(`The running bridge at ${url} could not write its history (${res.status}).`);
}

function serverTarget(url: string): ReplayTarget {
  return {
    description: `the running bridge at ${url}`,
    async replay(envelope, dryRun) {
      const res = await fetch(`${url}/api/replay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [API_HEADER]: API_HEADER_VALUE },
        body: JSON.stringify({ envelope, dryRun }),
      });
      const answer: unknown = await res.json();
      if (!res.ok) {
        const message =
          typeof answer === 'object' && answer !== null && 'error' in answer ? String(answer.error) : res.statusText;
        throw new Error(`The bridge refused the replay (${res.status}): ${message}`);
      }
      // Our own server's answer (local/server.ts → Bridge.replay).
      return answer as ReplayResult;
    },
    close: async () => undefined,
  };
}

async function runtimeTarget(env: LocalEnv, dryRun: boolean): Promise<ReplayTarget> {
  if (env.discord.kind === 'preview' && !dryRun) {
    throw new EnvError(
      'DISCORD_BOT_TOKEN is not set and no `npm start` is running on this DATA_DIR: start it (the preview Discord lives in its process), or add --dry-run.',
    );
  }
  const log = createJsonLinesLog({ level: 'warn', write: (line) => process.stderr.write(`${line}\n`) });
  const history = createHistory({ dir: `${env.dataDir}/deliveries` });
  await history.load();
  const runtime = await startRuntime({
    env,
    log,
    onDiscordCall: (context, call) =>
      history.update(context.deliveryId, (r) => ({ ...r, discord: [...r.discord, call] })),
  });
  return {
    description: runtime.describeDiscord,
    async replay(original, dry) {
      const now = Date.now();
      const envelope: Envelope = { ...original, deliveryId: replayId(original.deliveryId, now), receivedAt: now };
      const base = { deliveryId: envelope.deliveryId, replayOf: original.deliveryId, dryRun: dry };
      const deps = { ...runtime.deps, log: withFields(log, { deliveryId: envelope.deliveryId }) };
      if (dry) return { ...base, plan: await planEnvelope(envelope, deps) };
      const headers = history.get(original.deliveryId)?.headers ?? { 'x-github-event': envelope.event };
      await history.add(
        { ...recordFor(envelope, headers, original.deliveryId), status: 'running', attempts: 1 },
        envelope.body ?? '',
      );
      try {
        const result = await runtime.recorder.run({ deliveryId: envelope.deliveryId, attempt: 1 }, () =>
          processEnvelope(envelope, deps),
        );
        history.update(envelope.deliveryId, (r) => ({
          ...r,
          status: result.status,
          actions: result.actions,
          ...(result.reason === undefined ? {} : { reason: result.reason }),
        }));
      } catch (err) {
        const message = describeError(err);
        history.update(envelope.deliveryId, (r) => ({
          ...r,
          status: 'dead',
          reason: `Replay failed (not retried): ${message}`,
          errors: [...r.errors, { at: Date.now(), attempt: 1, message }],
        }));
      }
      await history.flush();
      const record = history.get(envelope.deliveryId);
      return { ...base, ...(record === undefined ? {} : { record }) };
    },
    async close() {
      await history.flush();
      await runtime.close();
    },
  };
}

function printPlan(plan: Plan, io: ReplayIo): void {
  if (plan.ignored !== undefined) {
    io.out(`  ignored: ${plan.ignored}`);
    return;
  }
  if (plan.actions.length === 0) io.out('  no Discord actions');
  for (const action of plan.actions) io.out(`  would ${describeAction(action)}`);
}

function printRecord(record: DeliveryRecord | undefined, io: ReplayIo): boolean {
  if (record === undefined) {
    io.out('  status: unknown (no record)');
    return false;
  }
  const failed = record.discord.filter((c) => !c.ok).length;
  io.out(
    `  status: ${record.status}${record.reason ? ` (${record.reason})` : ''} · ${record.discord.length} Discord request(s)${failed ? `, ${failed} failed` : ''}`,
  );
  for (const action of record.actions) io.out(`  did ${describeAction(action)}`);
  return !['dead', 'retrying', 'queued', 'running'].includes(record.status);
}

/** The command; returns the exit code. */
export async function runReplay(
  argv: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
  cwd: string,
  io: ReplayIo,
): Promise<number> {
  let target: ReplayTarget | undefined;
  try {
    const args = parseArgs(argv);
    if (args.kind === 'help') {
      io.out(USAGE);
      return 0;
    }
    const env = readEnv(environment, cwd);
    const running = await readLock(env.dataDir);
    if (running?.url !== undefined) await flushHistory(running.url);
    if (args.kind === 'save') {
      await saveDelivery(env.dataDir, args.id, args.path);
      io.out(`Saved delivery ${args.id} to ${args.path}.`);
      return 0;
    }
    const source = await sourceFor(env.dataDir, args);
    const lock = await readLock(env.dataDir);
    if (lock !== undefined && lock.url === undefined) {
      throw new EnvError(`DATA_DIR ${env.dataDir} is in use by process ${lock.pid}, which is not serving yet; retry.`);
    }
    target = lock?.url !== undefined ? serverTarget(lock.url) : await runtimeTarget(env, args.dryRun);
    io.out(`Replaying from ${source.description} through ${target.description}${args.dryRun ? ' (dry run)' : ''}.`);
    let ok = true;
    let count = 0;
    for await (const envelope of source.envelopes()) {
      count++;
      const what = `${envelope.event}${envelope.action ? `.${envelope.action}` : ''} ${envelope.repository}${envelope.prNumber === undefined ? '' : `#${envelope.prNumber}`}`;
      try {
        const result = await target.replay(envelope, args.dryRun);
        io.out(`${envelope.deliveryId} → ${result.deliveryId}  ${what}`);
        if (result.plan !== undefined) printPlan(result.plan, io);
        else ok = printRecord(result.record, io) && ok;
      } catch (err) {
        ok = false;
        io.out(`${envelope.deliveryId}  ${what}`);
        io.err(`  failed: ${describeError(err)}`);
      }
    }
    if (count === 0) io.out('Nothing to replay.');
    return ok ? 0 : 1;
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof EnvError || err instanceof ReplaySourceError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  } finally {
    await target?.close();
  }
}

if (require.main === module) {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  runReplay(process.argv.slice(2), process.env, process.cwd(), {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`replay: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
