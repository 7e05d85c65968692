/**
 * A worker on real parts: dynalite, the Discord emulator over loopback and the real `@discordjs/rest` client
 * (through the project's Discord adapter). Only the queue is left out: tests call `processEnvelope` directly or
 * drive the Lambda handler with SQS events.
 */
import { createDiscordPort } from '../../lambdas/adapters/discord';
import { createDeliveryStore, createThreadStore } from '../../lambdas/adapters/dynamo';
import { guardForbidden } from '../../lambdas/core/guard';
import type { DiscordPort, Log, MetricsSink } from '../../lambdas/core/ports';
import {
  createChannelDirectory,
  type ProcessResult,
  processEnvelope,
  type WorkerDeps,
} from '../../lambdas/core/process';
import type { BridgeConfig, Envelope } from '../../lambdas/core/types';
import { startDynalite, type TestDynamo } from './dynalite';
import { startTestDiscord, type TestDiscord } from './emulator';
import { envelopeFor } from './envelopes';
import { readFixture, testConfig } from './payloads';

export interface WorkerRig {
  readonly discord: TestDiscord;
  readonly dynamo: TestDynamo;
  readonly config: BridgeConfig;
  readonly channelId: string;
  /** Fresh deps (a new store instance = another worker process); `port` wraps the Discord adapter. */
  deps(options?: { readonly wrap?: (port: DiscordPort) => DiscordPort }): WorkerDeps;
  process(envelope: Envelope, deps?: WorkerDeps, attempt?: number): Promise<ProcessResult>;
  /** Envelope for a payload, as ingest would publish it. */
  envelope(event: string, payload: unknown, deliveryId: string): Envelope;
  fixture(name: string, deliveryId?: string): Envelope;
  /** Counted Discord requests (method + route) since the last call. */
  takeRequests(): string[];
  readonly logs: string[];
  readonly counted: Map<string, number>;
  close(): Promise<void>;
}

export async function startWorkerRig(
  options: { readonly forum?: boolean; readonly config?: Parameters<typeof testConfig>[0] } = {},
): Promise<WorkerRig> {
  const discord = await startTestDiscord();
  const dynamo = await startDynalite();
  const channelId = options.forum ? discord.forumChannelId : discord.textChannelId;
  const base = testConfig(options.config);
  const config: BridgeConfig = { ...base, guildId: discord.guildId, defaultChannelId: channelId };
  const logs: string[] = [];
  const log: Log = {
    debug: (m, e) => logs.push(JSON.stringify({ level: 'debug', m, ...e })),
    info: (m, e) => logs.push(JSON.stringify({ level: 'info', m, ...e })),
    warn: (m, e) => logs.push(JSON.stringify({ level: 'warn', m, ...e })),
    error: (m, e) => logs.push(JSON.stringify({ level: 'error', m, ...e })),
  };
  const counted = new Map<string, number>();
  const metrics = countingMetrics(counted);
  let seen = 0;
  const deps = (o: { readonly wrap?: (port: DiscordPort) => DiscordPort } = {}): WorkerDeps =>
    workerDeps({ discord, dynamo, config, log, metrics, leaseMs: 180_000, wrap: o.wrap });
  const shared = deps();
  const envelope = (event: string, payload: unknown, deliveryId: string): Envelope =>
    envelopeFor(event, payload, deliveryId, discord.clock.read());
  return {
    discord,
    dynamo,
    config,
    channelId,
    deps,
    process: (e, d = shared, attempt = 1) => processEnvelope(e, d, { attempt }),
    envelope,
    fixture: (name, deliveryId) => {
      const recorded = readFixture(name);
      return envelope(
        recorded.headers['x-github-event'],
        JSON.parse(recorded.body),
        deliveryId ?? recorded.headers['x-github-delivery'],
      );
    },
    takeRequests: () => {
      const all = discord.emu.state.requests();
      const fresh = all.slice(seen).map((r) => `${r.method} ${r.route} ${r.status}`);
      seen = all.length;
      return fresh;
    },
    logs,
    counted,
    close: async () => {
      await discord.close();
      await dynamo.close();
    },
  };
}

/** Metrics counted into a map: `name` or `name:dimension values`. */
export function countingMetrics(counted: Map<string, number>): MetricsSink {
  return {
    count: (name, value = 1, dims) => {
      const key = dims ? `${name}:${Object.values(dims).join(',')}` : name;
      counted.set(key, (counted.get(key) ?? 0) + value);
    },
    milliseconds: () => {},
  };
}

/**
 * The worker's dependencies on real parts, as the Lambda builds them: a new store instance and Discord client per
 * call (= another worker process); `wrap` decorates the Discord adapter (crash or fault injection).
 */
export function workerDeps(o: {
  readonly discord: TestDiscord;
  readonly dynamo: TestDynamo;
  readonly config: BridgeConfig;
  readonly log: Log;
  readonly metrics: MetricsSink;
  readonly leaseMs: number;
  readonly wrap?: (port: DiscordPort) => DiscordPort;
}): WorkerDeps {
  const { discord, dynamo, log, metrics } = o;
  const adapter = createDiscordPort({ token: discord.token, api: discord.emu.url, retries: 0, log, metrics });
  const port = guardForbidden(o.wrap ? o.wrap(adapter) : adapter, discord.clock.read);
  return {
    deliveries: createDeliveryStore({ doc: dynamo.doc, table: dynamo.tables.deliveries }),
    threads: createThreadStore({ doc: dynamo.doc, table: dynamo.tables.threads }),
    discord: port,
    config: o.config,
    loadBody: async (e) => e.body ?? '',
    log,
    metrics,
    now: discord.clock.read,
    leaseMs: o.leaseMs,
    channels: createChannelDirectory(port),
  };
}
