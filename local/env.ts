/**
 * The local mode's configuration, read once from the environment (only `main.ts` and `replay.ts` read
 * `process.env`; everything else gets the typed result). Each problem is one sentence naming the variable.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, parseBridgeConfig } from '../lambdas/core/config';
import type { BridgeConfig } from '../lambdas/core/types';

export const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';
export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';

export type DiscordTarget =
  /** The built-in Discord emulator, in process. */
  | { readonly kind: 'preview' }
  /** A real Discord (or any Discord-compatible API at `apiUrl`, as `@discordjs/rest`'s `api` option takes it). */
  | { readonly kind: 'remote'; readonly token: string; readonly apiUrl: string };

export interface LocalEnv {
  readonly port: number;
  /** Interface the server binds to. @default 127.0.0.1 */
  readonly host: string;
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  /** Unset ⇒ generated once and kept in the data directory. */
  readonly webhookSecret?: string;
  readonly discord: DiscordTarget;
  /** Overrides the config file's `guildId`. */
  readonly guildId?: string;
  /** Overrides the config file's `defaultChannelId`. */
  readonly channelId?: string;
  /** The `bridge` section read from `BRIDGE_CONFIG` (validated again once the Discord ids are known). */
  readonly bridgeConfig?: Readonly<Record<string, unknown>>;
}

/** A configuration problem; the message is one line naming the variable. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/** The `code` of a Node system error (`ENOENT`, `EADDRINUSE`...), duck-typed so it works across realms. */
export function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

const SNOWFLAKE = /^\d{17,20}$/;
/** Valid placeholder ids, used to validate a config file before the real ids are known. */
const PLACEHOLDER_ID = '100000000000000000';

function value(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function snowflake(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const raw = value(env, name);
  if (raw !== undefined && !SNOWFLAKE.test(raw)) throw new EnvError(`${name} must be a Discord id (17-20 digits).`);
  return raw;
}

function readPort(env: Readonly<Record<string, string | undefined>>): number {
  const raw = value(env, 'PORT');
  if (raw === undefined) return DEFAULT_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) throw new EnvError('PORT must be a port number (0-65535).');
  return port;
}

function readApiUrl(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_DISCORD_API_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EnvError('DISCORD_API_URL must be an http(s) URL such as https://discord.com/api.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EnvError('DISCORD_API_URL must be an http(s) URL such as https://discord.com/api.');
  }
  if (/\/v\d+\/?$/.test(url.pathname)) {
    throw new EnvError('DISCORD_API_URL must not end with the API version: use https://discord.com/api, not …/v10.');
  }
  return raw.replace(/\/+$/, '');
}

function readDiscord(env: Readonly<Record<string, string | undefined>>): DiscordTarget {
  const token = value(env, 'DISCORD_BOT_TOKEN');
  const apiUrl = value(env, 'DISCORD_API_URL');
  if (token === undefined) {
    if (apiUrl !== undefined) {
      throw new EnvError(
        'DISCORD_API_URL is set but DISCORD_BOT_TOKEN is not: set the token for that API, or unset DISCORD_API_URL for the preview.',
      );
    }
    return { kind: 'preview' };
  }
  if (/^bot\s/i.test(token)) throw new EnvError('DISCORD_BOT_TOKEN must be the bare token, without the "Bot " prefix.');
  if (/\s/.test(token)) throw new EnvError('DISCORD_BOT_TOKEN must not contain spaces.');
  return { kind: 'remote', token, apiUrl: readApiUrl(apiUrl) };
}

function isRecord(raw: unknown): raw is Readonly<Record<string, unknown>> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/** Reads `BRIDGE_CONFIG`: the `bridge` object itself, or a stack config file `{ bridge, deployment }`. */
function readBridgeConfigFile(path: string, cwd: string): Readonly<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (err) {
    const code = errorCode(err) ?? 'unreadable';
    throw new EnvError(`BRIDGE_CONFIG file ${path} could not be read (${code}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EnvError(`BRIDGE_CONFIG file ${path} is not valid JSON.`);
  }
  if (!isRecord(json)) throw new EnvError(`BRIDGE_CONFIG file ${path} must hold a JSON object.`);
  const keys = Object.keys(json);
  if ('bridge' in json && keys.every((k) => k === 'bridge' || k === 'deployment')) {
    if (!isRecord(json.bridge)) throw new EnvError(`BRIDGE_CONFIG file ${path}: bridge must be a JSON object.`);
    return json.bridge;
  }
  return json;
}

/**
 * The validated bridge config: the file's (or the defaults), with the guild and default channel from the
 * environment or, in preview, from the emulator. Errors name `BRIDGE_CONFIG` (or the variable at fault).
 */
export function resolveBridgeConfig(
  raw: Readonly<Record<string, unknown>> | undefined,
  ids: { readonly guildId?: string; readonly channelId?: string },
): BridgeConfig {
  const merged: Record<string, unknown> = { ...raw };
  if (ids.guildId !== undefined) merged.guildId = ids.guildId;
  if (ids.channelId !== undefined) merged.defaultChannelId = ids.channelId;
  if (merged.guildId === undefined) {
    throw new EnvError('DISCORD_GUILD_ID must be set (or guildId in the BRIDGE_CONFIG file) to use a real Discord.');
  }
  if (merged.defaultChannelId === undefined) {
    throw new EnvError(
      'DISCORD_CHANNEL_ID must be set (or defaultChannelId in the BRIDGE_CONFIG file) to use a real Discord.',
    );
  }
  try {
    return parseBridgeConfig(merged, 'BRIDGE_CONFIG');
  } catch (err) {
    if (err instanceof ConfigError) throw new EnvError(err.message.replace(/\s+/g, ' '));
    throw err;
  }
}

/** Reads and checks the environment; throws {@link EnvError}. */
export function readEnv(env: Readonly<Record<string, string | undefined>>, cwd: string): LocalEnv {
  const port = readPort(env);
  const host = value(env, 'HOST') ?? DEFAULT_HOST;
  const dataDir = resolve(cwd, value(env, 'DATA_DIR') ?? '.data');
  const discord = readDiscord(env);
  const guildId = snowflake(env, 'DISCORD_GUILD_ID');
  const channelId = snowflake(env, 'DISCORD_CHANNEL_ID');
  const configPath = value(env, 'BRIDGE_CONFIG');
  const bridgeConfig = configPath === undefined ? undefined : readBridgeConfigFile(configPath, cwd);
  const webhookSecret = env['GITHUB_WEBHOOK_SECRET'];
  if (webhookSecret !== undefined && webhookSecret !== '' && webhookSecret.trim() !== webhookSecret) {
    throw new EnvError('GITHUB_WEBHOOK_SECRET must not start or end with whitespace.');
  }
  // Validate the file now, so a bad one stops the start before anything runs.
  if (bridgeConfig !== undefined || discord.kind === 'remote') {
    resolveBridgeConfig(
      bridgeConfig,
      discord.kind === 'preview' ? { guildId: PLACEHOLDER_ID, channelId: PLACEHOLDER_ID } : { guildId, channelId },
    );
  }
  return {
    port,
    host,
    dataDir,
    ...(webhookSecret === undefined || webhookSecret === '' ? {} : { webhookSecret }),
    discord,
    ...(guildId === undefined ? {} : { guildId }),
    ...(channelId === undefined ? {} : { channelId }),
    ...(bridgeConfig === undefined ? {} : { bridgeConfig }),
  };
}
