/**
 * Runtime configuration of the bridge (routing, mentions, noise policy): validated once, then passed explicitly.
 * The stack validates it at synth time and hands it to the worker as JSON (`BRIDGE_CONFIG`);
 * the local mode reads the same format from a file. No secrets belong here.
 */
import type { BridgeConfig } from './types';
import * as z from './zod';

const snowflake = z.string().check(z.regex(/^\d{17,20}$/, 'must be a Discord id (17-20 digits)'));
const repoName = z.string().check(z.regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name'));
const login = z.string().check(z.regex(/^[A-Za-z0-9-]+(\[bot\])?$/, 'must be a GitHub login'));
const label = z.string().check(z.minLength(1));

export const bridgeConfigSchema = z.strictObject({
  guildId: snowflake,
  defaultChannelId: snowflake,
  channels: z._default(z.record(repoName, snowflake), {}),
  users: z._default(z.record(login, snowflake), {}),
  /** Thread names carry the repository (`repo#805 · Title`): `auto` when 2+ repositories are routed to the channel. */
  repoInName: z._default(z.enum(['auto', 'always', 'never']), 'auto'),
  policy: z._default(
    z.strictObject({
      ignoreBots: z._default(z.boolean(), true),
      allowBots: z._default(z.array(login), []),
      ignoreUsers: z._default(z.array(login), []),
      includeLabels: z._default(z.array(label), []),
      excludeLabels: z._default(z.array(label), []),
      baseBranches: z._default(z.array(label), []),
      drafts: z._default(z.enum(['include', 'ignore']), 'include'),
      syncNotes: z._default(z.boolean(), true),
    }),
    {
      ignoreBots: true,
      allowBots: [],
      ignoreUsers: [],
      includeLabels: [],
      excludeLabels: [],
      baseBranches: [],
      drafts: 'include',
      syncNotes: true,
    },
  ),
});

/** Raised for invalid configuration; the message is one sentence naming the field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** One-sentence description of the first problem zod found, naming the field path. */
export function describeIssue(error: z.core.$ZodError, prefix: string): string {
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
