import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_DISCORD_API_URL, EnvError, readEnv } from '../../local/env';
import { type TempDir, tempDir } from './wait';

let dir: TempDir;
beforeEach(async () => {
  dir = await tempDir('dpt-env-');
});
afterEach(() => dir.remove());

const remote = {
  DISCORD_BOT_TOKEN: 'token-123',
  DISCORD_GUILD_ID: '111111111111111111',
  DISCORD_CHANNEL_ID: '222222222222222222',
};

function problem(env: Record<string, string>): string {
  try {
    readEnv(env, dir.path);
  } catch (err) {
    if (err instanceof EnvError) return err.message;
    throw err;
  }
  throw new Error('expected an EnvError');
}

describe('local mode environment', () => {
  test('defaults: port 3000 on the loopback, .data, preview Discord, no secret yet', () => {
    expect(readEnv({}, dir.path)).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dataDir: join(dir.path, '.data'),
      discord: { kind: 'preview' },
    });
  });

  test('a bot token selects the real Discord, at the default API unless DISCORD_API_URL says otherwise', () => {
    expect(readEnv(remote, dir.path).discord).toEqual({
      kind: 'remote',
      token: 'token-123',
      apiUrl: DEFAULT_DISCORD_API_URL,
    });
    const custom = readEnv({ ...remote, DISCORD_API_URL: 'http://127.0.0.1:9999/api/' }, dir.path);
    expect(custom.discord).toEqual({ kind: 'remote', token: 'token-123', apiUrl: 'http://127.0.0.1:9999/api' });
  });

  test.each([
    [{ PORT: 'abc' }, /^PORT /],
    [{ PORT: '70000' }, /^PORT /],
    [{ DISCORD_API_URL: 'http://x/api' }, /^DISCORD_API_URL is set but DISCORD_BOT_TOKEN is not/],
    [{ ...remote, DISCORD_API_URL: 'ftp://x' }, /^DISCORD_API_URL must be an http/],
    [
      { ...remote, DISCORD_API_URL: 'https://discord.com/api/v10' },
      /^DISCORD_API_URL must not end with the API version/,
    ],
    [{ ...remote, DISCORD_BOT_TOKEN: 'Bot abc' }, /^DISCORD_BOT_TOKEN must be the bare token/],
    [{ ...remote, DISCORD_GUILD_ID: '12' }, /^DISCORD_GUILD_ID must be a Discord id/],
    [{ DISCORD_BOT_TOKEN: 't', DISCORD_GUILD_ID: '111111111111111111' }, /^DISCORD_CHANNEL_ID must be set/],
    [{ GITHUB_WEBHOOK_SECRET: ' padded ' }, /^GITHUB_WEBHOOK_SECRET /],
    [{ BRIDGE_CONFIG: 'missing.json' }, /^BRIDGE_CONFIG file missing.json could not be read \(ENOENT\)\.$/],
  ])('%j is refused with one line naming the variable', (env, message) => {
    const text = problem(env);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  test('BRIDGE_CONFIG takes the bridge object or a stack config file; errors name the field', async () => {
    const bridge = { guildId: '111111111111111111', defaultChannelId: '222222222222222222', repoInName: 'always' };
    await writeFile(join(dir.path, 'bridge.json'), JSON.stringify(bridge));
    await writeFile(join(dir.path, 'stack.json'), JSON.stringify({ bridge, deployment: {} }));
    await writeFile(join(dir.path, 'bad.json'), JSON.stringify({ ...bridge, policy: { drafts: 'sometimes' } }));
    await writeFile(join(dir.path, 'broken.json'), '{ nope');

    expect(readEnv({ BRIDGE_CONFIG: 'bridge.json' }, dir.path).bridgeConfig).toEqual(bridge);
    expect(readEnv({ ...remote, BRIDGE_CONFIG: 'stack.json' }, dir.path).bridgeConfig).toEqual(bridge);
    expect(problem({ BRIDGE_CONFIG: 'bad.json' })).toMatch(/^Invalid configuration: BRIDGE_CONFIG\.policy\.drafts /);
    expect(problem({ BRIDGE_CONFIG: 'broken.json' })).toBe('BRIDGE_CONFIG file broken.json is not valid JSON.');
  });
});
