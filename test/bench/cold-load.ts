/**
 * Cold load of each deployable bundle: built with esbuild exactly as the stack's house function does
 * (bundle, platform node, target node22, format cjs, minify, sourcemap, nothing external), then in fresh `node`
 * processes (NODE_OPTIONS=--enable-source-maps, as the stack sets it): require + first invocation, against an empty
 * handler bundle built the same way. Rounds interleave the bundles; each figure is a median.
 *
 * First invocations reach their dependencies on loopback through the SDK's endpoint settings:
 * ingest → Secrets Manager + SNS stand-ins (AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SNS), a signed
 * request answered 202; worker → Secrets Manager stand-in, dynalite (AWS_ENDPOINT_URL_DYNAMODB), the Discord
 * emulator (DISCORD_API_URL), one SQS record forwarding a comment.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { classify } from '../../lambdas/core/classify';
import { sign } from '../../lambdas/core/signature';
import type { Envelope } from '../../lambdas/core/types';
import { HOUSE_ESBUILD_OPTIONS } from '../../lib/constructs/bridge-function';
import { startDynalite } from '../helpers/dynalite';
import { startTestDiscord } from '../helpers/emulator';
import { fixturePayload, prPayload } from '../helpers/payloads';
import { apiGatewayEvent, signedRequest } from '../helpers/signed-request';
import { sqsFifoEvent, sqsRecord } from '../helpers/sqs';
import { median, percentile, pullRequestOpened, ratio, round, type Section, table } from './common';

const ROOT = path.resolve(__dirname, '..', '..');
const WEBHOOK_SECRET = 'cold-load-webhook-secret';

interface Built {
  readonly file: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly metafile: Metafile;
}

/**
 * The house function's esbuild options ({@link HOUSE_ESBUILD_OPTIONS}, which lib/constructs/bridge-function.ts hands
 * to NodejsFunction), plus what NodejsFunction adds itself: bundle, platform node, nothing external.
 * `variant` overrides some of them for a diagnosis.
 */
async function bundle(entry: string, outdir: string, name: string, variant: BuildOptions = {}): Promise<Built> {
  const outfile = path.join(outdir, name, 'index.js');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    ...HOUSE_ESBUILD_OPTIONS,
    mainFields: [...HOUSE_ESBUILD_OPTIONS.mainFields],
    alias: { ...HOUSE_ESBUILD_OPTIONS.alias },
    ...variant,
    outfile,
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
  return {
    file: outfile,
    bytes: statSync(outfile).size,
    mapBytes: statSync(`${outfile}.map`).size,
    metafile: result.metafile,
  };
}

/** Bytes in the output per package (node_modules/<pkg> or the project's own folders). */
export function topModules(metafile: Metafile, count = 8): [string, number][] {
  const sizes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = m ? (m[1] ?? input) : input.split('/').slice(0, 2).join('/');
      sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...sizes].sort((a, b) => b[1] - a[1]).slice(0, count);
}

/** Loopback stand-ins for Secrets Manager (JSON protocol) and SNS (query or JSON protocol). */
async function awsStandIn(
  secrets: Readonly<Record<string, string>>,
): Promise<{ url: string; server: Server; calls: Map<string, number> }> {
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = String(req.headers['x-amz-target'] ?? '');
      const count = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
      if (target === 'secretsmanager.GetSecretValue') {
        count('GetSecretValue');
        const { SecretId } = JSON.parse(body) as { SecretId: string };
        const value = secrets[SecretId];
        res.writeHead(value === undefined ? 400 : 200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify(
            value === undefined
              ? { __type: 'ResourceNotFoundException', message: 'not found' }
              : { ARN: SecretId, Name: 'secret', VersionId: 'v1', SecretString: value, CreatedDate: 1_700_000_000 },
          ),
        );
        return;
      }
      if (target.includes('Publish') || body.includes('Action=Publish')) {
        count('Publish');
        if (target !== '') {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ MessageId: 'm-1', SequenceNumber: '1' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId>' +
            '<SequenceNumber>1</SequenceNumber></PublishResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PublishResponse>',
        );
        return;
      }
      count(`unexpected ${target || body.slice(0, 40)}`);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ __type: 'UnknownOperationException', message: 'stand-in' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, calls };
}

/** The child: load the bundle, invoke it once with the event file, print timings as JSON, exit at once. */
const RUNNER = `
const t0 = performance.now();
const mod = require(process.argv[2]);
const t1 = performance.now();
const event = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const context = { awsRequestId: 'cold', functionName: 'fn', getRemainingTimeInMillis: () => 10000 };
Promise.resolve(mod.handler(event, context)).then((res) => {
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ boot: t0, require: t1 - t0, invoke: t2 - t1, result: res }) + '\\n');
  process.exit(0);
}, (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

interface Run {
  readonly wallMs: number;
  readonly bootMs: number;
  readonly requireMs: number;
  readonly invokeMs: number;
  readonly result: unknown;
}

function runOnce(runner: string, bundleFile: string, eventFile: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [runner, bundleFile, eventFile], {
      env: { ...env, NODE_OPTIONS: '--enable-source-maps' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('close', (code) => {
      const wallMs = performance.now() - start;
      const line = out.split('\n').find((l) => l.startsWith('{"boot"'));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${path.basename(path.dirname(bundleFile))} exited ${code}: ${err.slice(0, 2000)}`));
        return;
      }
      const parsed = JSON.parse(line) as { boot: number; require: number; invoke: number; result: unknown };
      resolve({
        wallMs,
        bootMs: parsed.boot,
        requireMs: parsed.require,
        invokeMs: parsed.invoke,
        result: parsed.result,
      });
    });
  });
}

export interface ColdLoadResult {
  readonly section: Section;
  /** Median cold start (spawn → first invocation answered), ms, per bundle. */
  readonly coldMs: Readonly<Record<'empty' | 'ingest' | 'worker', number>>;
}

export async function benchColdLoad(options: { rounds?: number } = {}): Promise<ColdLoadResult> {
  const rounds = options.rounds ?? 15;
  const dir = mkdtempSync(path.join(tmpdir(), 'cold-load-'));
  const discord = await startTestDiscord();
  const dynamo = await startDynalite();
  const arns = {
    webhook: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbC123',
    token: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:discord-token-XyZ789',
  };
  const aws = await awsStandIn({
    [arns.webhook]: JSON.stringify({ current: WEBHOOK_SECRET }),
    [arns.token]: discord.token,
  });
  try {
    const emptyEntry = path.join(dir, 'empty.ts');
    writeFileSync(emptyEntry, 'export const handler = async () => ({ statusCode: 200, body: "{}" });\n');
    const built = {
      empty: await bundle(emptyEntry, dir, 'empty'),
      ingest: await bundle(path.join(ROOT, 'lambdas/ingest/handler.ts'), dir, 'ingest'),
      worker: await bundle(path.join(ROOT, 'lambdas/worker/handler.ts'), dir, 'worker'),
    };
    const runner = path.join(dir, 'runner.cjs');
    writeFileSync(runner, RUNNER);

    const baseEnv: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_LAMBDA_FUNCTION_NAME: 'fn',
      POWERTOOLS_METRICS_NAMESPACE: 'DiscordPrThreads',
    };
    const env = {
      empty: baseEnv,
      ingest: {
        ...baseEnv,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
        AWS_ENDPOINT_URL_SNS: aws.url,
        WEBHOOK_SECRET_ARN: arns.webhook,
        TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:pr-events.fifo',
        PAYLOAD_BUCKET: 'payload-bucket',
        MAX_BODY_BYTES: '6291456',
        POWERTOOLS_SERVICE_NAME: 'ingest',
      },
      worker: {
        ...baseEnv,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        DISCORD_TOKEN_SECRET_ARN: arns.token,
        DELIVERIES_TABLE: dynamo.tables.deliveries,
        THREADS_TABLE: dynamo.tables.threads,
        BRIDGE_CONFIG: JSON.stringify({ guildId: discord.guildId, defaultChannelId: discord.textChannelId }),
        DISCORD_API_URL: discord.emu.url,
        CLAIM_LEASE_SECONDS: '180',
        POWERTOOLS_SERVICE_NAME: 'worker',
      },
    };

    const body = pullRequestOpened();
    const ingestEvent = path.join(dir, 'ingest-event.json');
    writeFileSync(
      ingestEvent,
      JSON.stringify(
        apiGatewayEvent({
          ...signedRequest({ event: 'pull_request', payload: body, secret: WEBHOOK_SECRET, deliveryId: 'cold-ingest' }),
        }),
      ),
    );
    if (!sign(WEBHOOK_SECRET, body).startsWith('sha256=')) throw new Error('unsigned');
    const emptyEvent = path.join(dir, 'empty-event.json');
    writeFileSync(emptyEvent, '{}');

    let comment = 0;
    const workerEvent = (): string => {
      comment++;
      const payload = fixturePayload('issue_comment.created.pull_request');
      Object.assign(payload.comment as Record<string, unknown>, {
        id: 9_000_000 + comment,
        body: `Cold comment ${comment}`,
      });
      const c = classify('issue_comment', payload);
      if (!c.handled) throw new Error(c.reason);
      const envelope: Envelope = {
        v: 1,
        deliveryId: `cold-worker-${comment}`,
        event: 'issue_comment',
        action: c.action,
        repositoryId: c.repositoryId,
        repository: c.repository,
        prNumber: c.prNumber,
        groupId: c.groupId,
        receivedAt: Date.now(),
        body: JSON.stringify(payload),
      };
      const file = path.join(dir, `worker-event-${comment}.json`);
      writeFileSync(file, JSON.stringify(sqsFifoEvent([sqsRecord(envelope)])));
      return file;
    };
    if (prPayload().number <= 0) throw new Error('bad payload');

    // Warm the OS file cache and create the PR's thread, so every measured worker run does the same work.
    await runOnce(runner, built.empty.file, emptyEvent, env.empty);
    await runOnce(runner, built.ingest.file, ingestEvent, env.ingest);
    await runOnce(runner, built.worker.file, workerEvent(), env.worker);

    const runs = { empty: [] as Run[], ingest: [] as Run[], worker: [] as Run[] };
    const order: (keyof typeof runs)[] = ['empty', 'ingest', 'worker'];
    for (let r = 0; r < rounds; r++) {
      const rotated = [...order.slice(r % 3), ...order.slice(0, r % 3)];
      for (const name of rotated) {
        const event = name === 'empty' ? emptyEvent : name === 'ingest' ? ingestEvent : workerEvent();
        const run = await runOnce(runner, built[name].file, event, env[name]);
        const status = (run.result as { statusCode?: number; batchItemFailures?: unknown[] } | null) ?? {};
        if (name === 'ingest' && status.statusCode !== 202)
          throw new Error(`ingest answered ${JSON.stringify(run.result)}`);
        if (name === 'worker' && (status.batchItemFailures?.length ?? -1) !== 0) {
          throw new Error(`worker answered ${JSON.stringify(run.result)}`);
        }
        runs[name].push(run);
      }
    }
    const wall = (name: keyof typeof runs) => median(runs[name].map((r) => r.wallMs));
    const inProcess = (name: keyof typeof runs) => median(runs[name].map((r) => r.requireMs + r.invokeMs));
    const ingestRatio = median(runs.ingest.map((r, i) => r.wallMs / (runs.empty[i]?.wallMs ?? Number.NaN)));
    const workerRatio = median(runs.worker.map((r, i) => r.wallMs / (runs.empty[i]?.wallMs ?? Number.NaN)));
    const kb = (bytes: number) => `${round(bytes / 1024, 1)} KB`;
    const rows = order.map((name) => [
      name,
      kb(built[name].bytes),
      kb(built[name].mapBytes),
      round(median(runs[name].map((r) => r.requireMs)), 1),
      round(median(runs[name].map((r) => r.invokeMs)), 1),
      round(wall(name), 1),
      round(
        percentile(
          runs[name].map((r) => r.wallMs),
          90,
        ),
        1,
      ),
      name === 'empty' ? '1×' : ratio(name === 'ingest' ? ingestRatio : workerRatio),
    ]);
    const modules = (name: 'ingest' | 'worker') =>
      topModules(built[name].metafile)
        .map(([m, b]) => `${m} ${kb(b)}`)
        .join(', ');

    // Where the require time goes: the same bundles without source maps enabled.
    const noMaps: Record<'ingest' | 'worker', number[]> = { ingest: [], worker: [] };
    for (let r = 0; r < Math.min(rounds, 7); r++) {
      for (const name of ['ingest', 'worker'] as const) {
        const event = name === 'ingest' ? ingestEvent : workerEvent();
        const run = await runOnce(runner, built[name].file, event, { ...env[name], NODE_OPTIONS: '' });
        noMaps[name].push(run.requireMs);
      }
    }
    // Diagnosis: the same entries with esbuild's own defaults instead of the house resolution options (mainFields
    // main,module: the SDK's whole CommonJS builds; no alias: @discordjs/rest's Node entry with undici).
    const defaults: BuildOptions = { mainFields: ['main', 'module'], alias: {} };
    const plain = {
      ingest: await bundle(path.join(ROOT, 'lambdas/ingest/handler.ts'), dir, 'ingest-defaults', defaults),
      worker: await bundle(path.join(ROOT, 'lambdas/worker/handler.ts'), dir, 'worker-defaults', defaults),
    };
    const plainRatios: Record<'ingest' | 'worker', number[]> = { ingest: [], worker: [] };
    for (let r = 0; r < Math.min(rounds, 9); r++) {
      const base = await runOnce(runner, built.empty.file, emptyEvent, env.empty);
      for (const name of ['ingest', 'worker'] as const) {
        const event = name === 'ingest' ? ingestEvent : workerEvent();
        const run = await runOnce(runner, plain[name].file, event, env[name]);
        plainRatios[name].push(run.wallMs / base.wallMs);
      }
    }
    const standInCalls = [...aws.calls].map(([k, v]) => `${k} ${v}`).join(', ');
    return {
      coldMs: { empty: wall('empty'), ingest: wall('ingest'), worker: wall('worker') },
      section: {
        title: 'Cold load of each bundle (fresh node process: require + first invocation)',
        body: [
          table(
            ['bundle', 'size', 'source map', 'require ms', '1st invoke ms', 'spawn→answered ms', 'p90 ms', 'vs empty'],
            rows,
          ),
          '',
          `${rounds} interleaved rounds; the ratio is the median of per-round ratios of spawn→answered wall time ` +
            '(node boot + require + first invocation, what a Lambda cold start adds up). Goals: ingest ≤ 1.5×, worker ≤ 2×.',
          `In-process only (require + first invocation): empty ${round(inProcess('empty'), 1)} ms, ingest ${round(inProcess('ingest'), 1)} ms, worker ${round(inProcess('worker'), 1)} ms.`,
          'First invocations are real: ingest verifies a signed 25 KB delivery, reads its secret and publishes through the SDK to loopback stand-ins ' +
            `(AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SNS; calls seen: ${standInCalls}); the worker reads its token the same way, ` +
            'claims and completes the delivery on dynalite and posts a comment to the Discord emulator.',
          `Require time without NODE_OPTIONS=--enable-source-maps: ingest ${round(median(noMaps.ingest), 1)} ms, worker ${round(median(noMaps.worker), 1)} ms.`,
          "Diagnosis — built with esbuild's defaults instead of the house `mainFields: ['module', 'main']` and `@discordjs/rest` web-build alias: " +
            `ingest ${kb(plain.ingest.bytes)} ≈ ${ratio(median(plainRatios.ingest))}, worker ${kb(plain.worker.bytes)} ≈ ${ratio(median(plainRatios.worker))} the empty handler.`,
          `Largest modules in the ingest bundle: ${modules('ingest')}.`,
          `Largest modules in the worker bundle: ${modules('worker')}.`,
        ].join('\n'),
        headline: [
          {
            figure: 'Cold load ingest vs empty handler',
            value: ratio(ingestRatio),
            goal: '≤ 1.5×',
            met: ingestRatio <= 1.5,
          },
          {
            figure: 'Cold load worker vs empty handler',
            value: ratio(workerRatio),
            goal: '≤ 2×',
            met: workerRatio <= 2,
          },
        ],
      },
    };
  } finally {
    aws.server.close();
    await discord.close();
    await dynamo.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
