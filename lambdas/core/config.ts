/**
 * Runtime configuration of the bridge (routing, mentions, noise policy): validated once, then passed explicitly.
 * The stack validates it at synth time and hands it to the worker as JSON (`BRIDGE_CONFIG`);
 * the local mode reads the same format from a file. No secrets belong here.
 */
import { z } from 'zod';
import type { BridgeConfig } from './types';

const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17-20 digits)');
const repoName = z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name');
const login = z.string().regex(/^[A-Za-z0-9-]+(\[bot\])?$/, 'must be a GitHub login');

export const bridgeConfigSchema = z
  .object({
    guildId: snowflake,
    defaultChannelId: snowflake,
    channels: z.record(repoName, snowflake).default({}),
    users: z.record(login, snowflake).default({}),
    /** Thread names carry the repository (`repo#805 · Title`): `auto` when 2+ repositories are routed to the channel. */
    repoInName: z.enum(['auto', 'always', 'never']).default('auto'),
    policy: z
      .object({
        ignoreBots: z.boolean().default(true),
        allowBots: z.array(login).default([]),
        ignoreUsers: z.array(login).default([]),
        includeLabels: z.array(z.string().min(1)).default([]),
        excludeLabels: z.array(z.string().min(1)).default([]),
        baseBranches: z.array(z.string().min(1)).default([]),
        drafts: z.enum(['include', 'ignore']).default('include'),
        syncNotes: z.boolean().default(true),
      })
      .strict()
      .default({
        ignoreBots: true,
        allowBots: [],
        ignoreUsers: [],
        includeLabels: [],
        excludeLabels: [],
        baseBranches: [],
        drafts: 'include',
        syncNotes: true,
      }),
  })
  .strict();

/** Raised for invalid configuration; the message is one sentence naming the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** One-sentence description of the first problem zod found, naming the field path. */
export function describeIssue(error: z.ZodError, prefix: string): string {
  const issue = error.issues[0];
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  return `Invalid configuration: ${path || 'config'} ${issue.message.replace(/^Invalid input: /, '')}.`;
}

/** Validate raw configuration (from cdk.json context, a file or an environment variable). */
export function parseBridgeConfig(raw: unknown, prefix = 'bridge'): BridgeConfig {
  const result = bridgeConfigSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssue(result.error, prefix));
  const cfg = result.data;
  const lower = (r: Record<string, string>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]));
  return { ...cfg, channels: lower(cfg.channels), users: lower(cfg.users) };
}

/** Channel for a repository: its routing entry, else the default channel. */
export function channelFor(config: BridgeConfig, repository: string): string {
  return config.channels[repository.toLowerCase()] ?? config.defaultChannelId;
}

/** True when one channel serves several repositories (thread names then carry the repository name). */
export function channelIsShared(config: BridgeConfig, channelId: string): boolean {
  if (config.repoInName !== 'auto') return config.repoInName === 'always';
  return Object.values(config.channels).filter((c) => c === channelId).length > 1;
}
