/**
 * The worker on real parts for the reliability suite: dynalite, the Discord emulator over loopback (manual clock,
 * full request log) and the real `@discordjs/rest` client through the project's Discord adapter. One repository
 * is routed to the text channel, the other to the forum channel. Each `container()` is a fresh set of deps,
 * as a new Lambda container would build them (own REST client, own claim tokens, own channel cache).
 */
import { createDiscordPort } from '../../lambdas/adapters/discord';
import { createDeliveryStore, createThreadStore } from '../../lambdas/adapters/dynamo';
import { classify } from '../../lambdas/core/classify';
import { guardForbidden } from '../../lambdas/core/guard';
import type { DiscordPort, Log, MetricsSink } from '../../lambdas/core/ports';
import { createChannelDirectory, type WorkerDeps } from '../../lambdas/core/process';
import type { BridgeConfig, Envelope } from '../../lambdas/core/types';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { startTestDiscord, type TestDiscord } from '../helpers/emulator';
import { testConfig } from '../helpers/payloads';
import { type ChannelKind, REPOS } from './scenario';

/** The queue's visibility timeout = the claim lease (6 × the worker's 30 s timeout, as the stack sets it). */
export const VISIBILITY_MS = 180_000;

export interface ReliabilityRig {
  readonly discord: TestDiscord;
  readonly dynamo: TestDynamo;
  readonly config: BridgeConfig;
  channelOf(kind: ChannelKind): string;
  /** Deps of a new worker container; `wrap` decorates its Discord port (crash injection). */
  container(options?: { readonly wrap?: (port: DiscordPort) => DiscordPort }): WorkerDeps;
  /** What ingest would publish for this delivery, accepted now. */
  envelope(event: string, payload: unknown, deliveryId: string): Envelope;
  /** Warnings and errors the worker logged (never info/debug, to keep memory flat on long runs). */
  readonly problems: string[];
  readonly counted: Map<string, number>;
  close(): Promise<void>;
}

export async function startReliabilityRig(
  options: { readonly users?: Record<string, string> } = {},
): Promise<ReliabilityRig> {
  const discord = await startTestDiscord({ requestLogLimit: 1_000_000 });
  const dynamo = await startDynalite();
  const channelOf = (kind: ChannelKind) => (kind === 'forum' ? discord.forumChannelId : discord.textChannelId);
  const base = testConfig({
    users: options.users ?? {},
    channels: Object.fromEntries(REPOS.map((r) => [r.fullName, channelOf(r.channel)])),
  });
  const config: BridgeConfig = { ...base, guildId: discord.guildId, defaultChannelId: discord.textChannelId };
  const problems: string[] = [];
  const keep = (level: string) => (m: string, e?: Record<string, unknown>) => {
    if (problems.length < 5_000) problems.push(JSON.stringify({ level, m, ...e }));
  };
  const log: Log = { debug: () => {}, info: () => {}, warn: keep('warn'), error: keep('error') };
  const counted = new Map<string, number>();
  const metrics: MetricsSink = {
    count: (name, value = 1, dims) => {
      const key = dims ? `${name}:${Object.values(dims).join(',')}` : name;
      counted.set(key, (counted.get(key) ?? 0) + value);
    },
    milliseconds: () => {},
  };
  const container = (o: { readonly wrap?: (port: DiscordPort) => DiscordPort } = {}): WorkerDeps => {
    const adapter = createDiscordPort({ token: discord.token, api: discord.emu.url, retries: 0, log, metrics });
    const port = guardForbidden(o.wrap ? o.wrap(adapter) : adapter, discord.clock.read);
    return {
      deliveries: createDeliveryStore({ doc: dynamo.doc, table: dynamo.tables.deliveries }),
      threads: createThreadStore({ doc: dynamo.doc, table: dynamo.tables.threads }),
      discord: port,
      config,
      loadBody: async (e) => e.body ?? '',
      log,
      metrics,
      now: discord.clock.read,
      leaseMs: VISIBILITY_MS,
      channels: createChannelDirectory(port),
    };
  };
  const envelope = (event: string, payload: unknown, deliveryId: string): Envelope => {
    const c = classify(event, payload);
    if (!c.handled) throw new Error(`scenario produced an unhandled delivery: ${c.reason}`);
    return {
      v: 1,
      deliveryId,
      event,
      action: c.action,
      repositoryId: c.repositoryId,
      repository: c.repository,
      prNumber: c.prNumber,
      groupId: c.groupId,
      receivedAt: discord.clock.read(),
      body: JSON.stringify(payload),
    };
  };
  return {
    discord,
    dynamo,
    config,
    channelOf,
    container,
    envelope,
    problems,
    counted,
    close: async () => {
      await discord.close();
      await dynamo.close();
    },
  };
}
