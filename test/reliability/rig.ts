/**
 * The worker on real parts for the reliability suite: dynalite, the Discord emulator over loopback (manual clock,
 * full request log) and the real `@discordjs/rest` client through the project's Discord adapter. One repository
 * is routed to the text channel, the other to the forum channel. Each `container()` is a fresh set of deps,
 * as a new Lambda container would build them (own REST client, own claim tokens, own channel cache).
 */
import type { DiscordPort, Log } from '../../lambdas/core/ports';
import type { WorkerDeps } from '../../lambdas/core/process';
import type { BridgeConfig, Envelope } from '../../lambdas/core/types';
import { startDynalite, type TestDynamo } from '../helpers/dynalite';
import { startTestDiscord, type TestDiscord } from '../helpers/emulator';
import { envelopeFor } from '../helpers/envelopes';
import { testConfig } from '../helpers/payloads';
import { countingMetrics, workerDeps } from '../helpers/worker';
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
  const metrics = countingMetrics(counted);
  const container = (o: { readonly wrap?: (port: DiscordPort) => DiscordPort } = {}): WorkerDeps =>
    workerDeps({ discord, dynamo, config, log, metrics, leaseMs: VISIBILITY_MS, wrap: o.wrap });
  const envelope = (event: string, payload: unknown, deliveryId: string): Envelope =>
    envelopeFor(event, payload, deliveryId, discord.clock.read());
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
