/**
 * The worker side of the local mode: the SAME stores, Discord adapter and `processEnvelope` as the worker
 * Lambda, wired to dynalite (in process, persisted under the data directory) and to the real Discord or the
 * built-in emulator. The server (`bridge.ts`) and the standalone replay (`replay.ts`) both start one.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDiscordPort } from '../lambdas/adapters/discord';
import { createDeliveryStore, createDynamo, createThreadStore } from '../lambdas/adapters/dynamo';
import { ensureTables, type TableNames } from '../lambdas/adapters/tables';
import { type Log, type MetricsSink, noMetrics } from '../lambdas/core/ports';
import { createChannelDirectory, type WorkerDeps } from '../lambdas/core/process';
import type { BridgeConfig, Envelope } from '../lambdas/core/types';
import { type DiscordEmulator, startDiscordEmulator } from './discord-emulator';
import { type DiscordTarget, EnvError, errorCode, type LocalEnv, resolveBridgeConfig } from './env';
import type { DiscordCall } from './history';
import { type CallContext, createRecordingDiscord, type RecordingDiscord } from './recording-discord';
import { FORUM_SAMPLE_REPO } from './samples';

/**
 * How long a worker claim holds locally; an attempt interrupted by a crash is retried once it has passed.
 * Short on purpose: one process owns the data directory and the queue runs one attempt per delivery at a time,
 * so the lease only matters after a crash, when its holder is already gone.
 */
export const LOCAL_LEASE_MS = 5_000;

const TABLES: TableNames = { deliveries: 'deliveries', threads: 'threads' };
/** Preview threads live in their own table, emptied on each start (the emulator starts empty). */
const PREVIEW_TABLES: TableNames = { deliveries: 'deliveries', threads: 'threads-preview' };

interface DynaliteOptions {
  readonly path?: string;
  readonly createTableMs?: number;
  readonly deleteTableMs?: number;
  readonly updateTableMs?: number;
}
// dynalite ships no type declarations.
const dynalite: (options: DynaliteOptions) => Server = require('dynalite');

// ---------------------------------------------------------------- data directory lock

export interface LockInfo {
  readonly pid: number;
  /** The running server's URL, once it listens. */
  readonly url?: string;
}

export interface DataDirLock {
  setUrl(url: string): Promise<void>;
  release(): Promise<void>;
}

const lockPath = (dataDir: string) => join(dataDir, 'bridge.lock');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

/** The process holding the data directory, when one is alive. */
export async function readLock(dataDir: string): Promise<LockInfo | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (typeof raw !== 'object' || raw === null || !('pid' in raw) || typeof raw.pid !== 'number') return undefined;
    const url = 'url' in raw && typeof raw.url === 'string' ? raw.url : undefined;
    return alive(raw.pid) ? { pid: raw.pid, ...(url === undefined ? {} : { url }) } : undefined;
  } catch {
    return undefined;
  }
}

/** One process per data directory (dynalite's LevelDB allows one): a lock file with our pid, stale ones replaced. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = lockPath(dataDir);
  const holder = await readLock(dataDir);
  if (holder !== undefined && holder.pid !== process.pid) {
    throw new EnvError(
      `DATA_DIR ${dataDir} is in use by process ${holder.pid}${holder.url ? ` (${holder.url})` : ''}; stop it or choose another DATA_DIR.`,
    );
  }
  if (holder !== undefined) throw new EnvError(`DATA_DIR ${dataDir} is already open in this process.`);
  await writeFile(path, JSON.stringify({ pid: process.pid }));
  return {
    setUrl: (url) => writeFile(path, JSON.stringify({ pid: process.pid, url })),
    release: () => rm(path, { force: true }),
  };
}

// ---------------------------------------------------------------- runtime

export interface PreviewDiscord {
  readonly emulator: DiscordEmulator;
  readonly guildId: string;
  readonly textChannelId: string;
  readonly forumChannelId: string;
}

export interface RuntimeOptions {
  readonly env: Pick<LocalEnv, 'dataDir' | 'discord' | 'guildId' | 'channelId' | 'bridgeConfig'>;
  readonly log: Log;
  readonly metrics?: MetricsSink;
  /** Receives every Discord request made for a delivery. */
  readonly onDiscordCall?: (context: CallContext, call: DiscordCall) => void;
  readonly leaseMs?: number;
  readonly now?: () => number;
}

export interface Runtime {
  readonly config: BridgeConfig;
  readonly deps: WorkerDeps;
  readonly recorder: RecordingDiscord;
  readonly discord: DiscordTarget;
  /** Set in preview mode. */
  readonly preview?: PreviewDiscord;
  /** One line: which Discord this runtime talks to. */
  readonly describeDiscord: string;
  readonly lock: DataDirLock;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function startDynalite(dataDir: string): Promise<{ server: Server; endpoint: string }> {
  const path = join(dataDir, 'dynamodb');
  await mkdir(path, { recursive: true });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  try {
    return { server, endpoint: `http://127.0.0.1:${await listen(server)}` };
  } catch (err) {
    throw new EnvError(`DATA_DIR ${dataDir}: the local DynamoDB could not start (${String(err)}).`);
  }
}

/** Drops the preview thread table so its state matches the emulator, which starts empty. */
async function resetTable(doc: DynamoDBDocumentClient, table: string): Promise<void> {
  try {
    await doc.send(new DeleteTableCommand({ TableName: table }));
  } catch (err) {
    if (!(err instanceof Error && err.name === 'ResourceNotFoundException')) throw err;
    return;
  }
  for (let i = 0; i < 300; i++) {
    try {
      await doc.send(new DescribeTableCommand({ TableName: table }));
    } catch (err) {
      if (err instanceof Error && err.name === 'ResourceNotFoundException') return;
      throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`The table ${table} was not deleted.`);
}

async function startPreview(): Promise<PreviewDiscord> {
  const emulator = await startDiscordEmulator({
    token: randomBytes(24).toString('base64url'),
    bot: { username: 'PR Threads' },
  });
  const guild = emulator.addGuild({ name: 'Preview server' });
  const text = emulator.addChannel({ guildId: guild.id, type: 'text', name: 'pull-requests' });
  const forum = emulator.addChannel({ guildId: guild.id, type: 'forum', name: 'pr-forum' });
  return { emulator, guildId: guild.id, textChannelId: text.id, forumChannelId: forum.id };
}

/** Preview config: the file's policy and user map, routed to the emulator's channels, Codertocat pingable. */
function previewConfig(preview: PreviewDiscord, raw: Readonly<Record<string, unknown>> | undefined): BridgeConfig {
  const users = raw !== undefined && typeof raw['users'] === 'object' && raw['users'] !== null ? raw['users'] : {};
  const codertocat = preview.emulator.addUser({ username: 'codertocat' });
  return resolveBridgeConfig(
    {
      ...raw,
      channels: { [FORUM_SAMPLE_REPO.fullName]: preview.forumChannelId },
      users: { Codertocat: codertocat, ...users },
    },
    { guildId: preview.guildId, channelId: preview.textChannelId },
  );
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { env, log } = options;
  const metrics = options.metrics ?? noMetrics;
  const now = options.now ?? Date.now;
  try {
    await mkdir(env.dataDir, { recursive: true });
  } catch (err) {
    const code = errorCode(err) ?? 'error';
    throw new EnvError(`DATA_DIR ${env.dataDir} could not be created (${code}).`);
  }
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const lock = await lockDataDir(env.dataDir);
    cleanup.push(() => lock.release());
    const dynamo = await startDynalite(env.dataDir);
    cleanup.push(() => closeServer(dynamo.server));
    const doc = createDynamo({
      endpoint: dynamo.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    cleanup.push(async () => doc.destroy());

    let preview: PreviewDiscord | undefined;
    let config: BridgeConfig;
    let api: string;
    let token: string;
    let tables = TABLES;
    if (env.discord.kind === 'preview') {
      preview = await startPreview();
      const emulator = preview.emulator;
      cleanup.push(() => emulator.close());
      config = previewConfig(preview, env.bridgeConfig);
      api = emulator.url;
      token = emulator.token;
      tables = PREVIEW_TABLES;
      await resetTable(doc, tables.threads);
    } else {
      config = resolveBridgeConfig(env.bridgeConfig, { guildId: env.guildId, channelId: env.channelId });
      api = env.discord.apiUrl;
      token = env.discord.token;
    }
    await ensureTables(doc, tables, { pollMs: 20 });

    const recorder = createRecordingDiscord(
      createDiscordPort({ token, api, log, metrics }),
      (context, call) => options.onDiscordCall?.(context, call),
      now,
    );
    const deps: WorkerDeps = {
      deliveries: createDeliveryStore({ doc, table: tables.deliveries, owner: `local-${process.pid}` }),
      threads: createThreadStore({ doc, table: tables.threads }),
      discord: recorder.port,
      config,
      loadBody: async (envelope: Envelope) => {
        if (envelope.body === undefined) throw new Error('The local mode keeps every body inline.');
        return envelope.body;
      },
      log,
      metrics,
      now,
      leaseMs: options.leaseMs ?? LOCAL_LEASE_MS,
      channels: createChannelDirectory(recorder.port),
    };
    const describeDiscord =
      env.discord.kind === 'preview'
        ? 'preview: the built-in Discord emulator (set DISCORD_BOT_TOKEN to use the real Discord)'
        : `${env.discord.apiUrl} (guild ${config.guildId}, default channel ${config.defaultChannelId})`;
    return {
      config,
      deps,
      recorder,
      discord: env.discord,
      ...(preview === undefined ? {} : { preview }),
      describeDiscord,
      lock,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
