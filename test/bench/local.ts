/**
 * Local mode (`local/bridge.ts`): deliveries per second accepted under autocannon (signed 25 KB payloads, unique
 * delivery ids, 200 PRs) against a bare node:http server answering 202 to the same load, both in child processes;
 * then end-to-end latency at a steady 100 deliveries/s for ~10 s, from the POST to the emulator holding the message
 * (the bridge's "delivery processed" log line, written after the Discord create succeeded).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { Log } from '../../lambdas/core/ports';
import { sign } from '../../lambdas/core/signature';
import { startBridge } from '../../local/bridge';
import { percentile, pullRequestOpened, ratio, round, type Section, table } from './common';

const SECRET = 'local-bench-secret';
const PRS = 200;

interface Pool {
  readonly bodies: Buffer[];
  readonly signatures: string[];
}

function pool(): Pool {
  const bodies = Array.from({ length: PRS }, (_, i) => pullRequestOpened(25 * 1024, 1000 + i));
  return { bodies, signatures: bodies.map((b) => sign(SECRET, b)) };
}

async function startChild(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'local-server.ts'), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`server child exited ${code}`)));
  });
  return { url, child };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function load(url: string, p: Pool, seconds: number, tag: string): Promise<autocannon.Result> {
  let n = 0;
  return autocannon({
    url: `${url}/webhooks/github`,
    method: 'POST',
    connections: 16,
    duration: seconds,
    requests: [
      {
        setupRequest: (req) => {
          const i = n++ % PRS;
          return {
            ...req,
            method: 'POST',
            path: '/webhooks/github',
            body: p.bodies[i],
            headers: {
              'content-type': 'application/json',
              'x-github-event': 'pull_request',
              'x-github-delivery': `${tag}-${n}`,
              'x-hub-signature-256': p.signatures[i],
            },
          };
        },
      },
    ],
  });
}

async function endToEnd(
  p: Pool,
  rate: number,
  seconds: number,
): Promise<{ latencies: number[]; sent: number; lost: number }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-e2e-'));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const noop = () => undefined;
  const log: Log = {
    debug: noop,
    warn: noop,
    error: noop,
    info: (message, extra) => {
      if (message !== 'delivery processed') return;
      const id = extra?.deliveryId;
      const start = typeof id === 'string' ? sentAt.get(id) : undefined;
      if (start !== undefined) latencies.push(performance.now() - start);
    },
  };
  const bridge = await startBridge({
    env: { port: 0, host: '127.0.0.1', dataDir, webhookSecret: SECRET, discord: { kind: 'preview' } },
    log,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const post = (i: number, id: string) =>
    new Promise<number>((resolve, reject) => {
      const body = p.bodies[i % PRS] as Buffer;
      const req = request(
        `${bridge.url}/webhooks/github`,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-github-event': 'pull_request',
            'x-github-delivery': id,
            'x-hub-signature-256': p.signatures[i % PRS],
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    const total = rate * seconds;
    const start = performance.now();
    const pending: Promise<number>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const id = `e2e-${i}`;
      sentAt.set(id, performance.now());
      pending.push(post(i, id));
    }
    const statuses = await Promise.all(pending);
    if (statuses.some((s) => s !== 202))
      throw new Error(`non-202 answers: ${statuses.filter((s) => s !== 202).length}`);
    // Let the queue drain (bounded).
    const deadline = performance.now() + 60_000;
    while (latencies.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return { latencies, sent: total, lost: total - latencies.length };
  } finally {
    agent.destroy();
    await bridge.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchLocal(options: { seconds?: number } = {}): Promise<Section> {
  const seconds = options.seconds ?? 8;
  const p = pool();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-local-'));
  const results: { name: string; result: autocannon.Result }[] = [];
  try {
    // Bare first, then the bridge, then bare again: the baseline brackets the measurement.
    for (const mode of ['bare', 'bridge', 'durable', 'bare'] as const) {
      const args = mode === 'bare' ? ['bare'] : mode === 'durable' ? ['durable', dataDir] : ['bridge', dataDir, SECRET];
      const { url, child } = await startChild(args);
      try {
        await load(url, p, 1, `warm-${mode}-${results.length}`);
        results.push({ name: mode, result: await load(url, p, seconds, `${mode}-${results.length}`) });
      } finally {
        await stopChild(child);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const rps = (r: autocannon.Result) => r['2xx'] / r.duration;
  const bridge = results.find((r) => r.name === 'bridge')?.result;
  const bare = results.filter((r) => r.name === 'bare').map((r) => r.result);
  if (bridge === undefined || bare.length === 0) throw new Error('missing runs');
  const bareRps = bare.reduce((n, r) => n + rps(r), 0) / bare.length;
  const share = rps(bridge) / bareRps;
  const durable = results.find((r) => r.name === 'durable')?.result;
  const e2e = await endToEnd(p, 100, 10);
  const gentle = await endToEnd(p, 10, 5);
  const rows = results.map(({ name, result }) => [
    name === 'bare'
      ? 'bare node:http → 202'
      : name === 'durable'
        ? 'reference: node:http + one fsynced file per request → 202'
        : 'local bridge (ingest + queue + worker + emulator)',
    round(rps(result), 0),
    result.non2xx,
    result.errors,
    round(result.latency.p50, 1),
    round(result.latency.p99, 1),
  ]);
  return {
    title: 'Local mode (npm start): accepted deliveries per second and end-to-end latency',
    body: [
      table(['server', '2xx / s', 'non-2xx', 'errors', 'p50 ms', 'p99 ms'], rows),
      '',
      `autocannon, 16 connections, ${seconds} s per run, signed 25 KB pull_request.opened payloads across ${PRS} PRs, a unique delivery id per request; ` +
        `servers in child processes. Bridge accepts **${ratio(share)}** of the bare server's rate (${round(rps(bridge), 0)} vs ${round(bareRps, 0)} per s). ` +
        'The bridge does real work per request (HMAC, JSON.parse, a history record and a queue file on disk) while its worker drains the queue into the emulator in the same process.',
      `End to end at a steady 100 deliveries/s for 10 s (${e2e.sent} deliveries, POST → the emulator holds the message): ` +
        `p50 ${round(percentile(e2e.latencies, 50), 1)} ms, p90 ${round(percentile(e2e.latencies, 90), 1)} ms, p99 ${round(percentile(e2e.latencies, 99), 1)} ms, max ${round(Math.max(...e2e.latencies), 1)} ms; ${e2e.lost} not processed within 60 s.`,
      `For comparison at 10 deliveries/s for 5 s: p50 ${round(percentile(gentle.latencies, 50), 1)} ms, p99 ${round(percentile(gentle.latencies, 99), 1)} ms.`,
      durable === undefined
        ? ''
        : `Disk floor on this machine: one fsynced file per request sustains ${round(rps(durable), 0)}/s; the bridge writes several per delivery ` +
          "(history body and record, queue item, then state changes as the worker runs), batched by group commit; with the worker busy in the same process, its rate is bound by the worker's CPU.",
    ].join('\n'),
    headline: [
      {
        figure: 'Local mode accepted rate vs bare node:http',
        value: ratio(share),
        goal: 'figure (no goal set)',
        met: null,
      },
      {
        figure: 'Local mode end-to-end p50 / p99 at 100/s',
        value: `${round(percentile(e2e.latencies, 50), 0)} / ${round(percentile(e2e.latencies, 99), 0)} ms`,
        goal: 'figure (no goal set)',
        met: e2e.lost === 0 ? null : false,
      },
    ],
  };
}
