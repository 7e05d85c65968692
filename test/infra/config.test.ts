import { ConfigError } from '../../lambdas/core/config';
import { DISCORD_API_URL, loadAppConfig, MAX_LAMBDA_PAYLOAD_BYTES, parseDeploymentConfig } from '../../lib/config';
import { cdkContext } from './helpers';

const bridge = { guildId: '111111111111111111', defaultChannelId: '222222222222222222' };
const fromContext = (context: Record<string, unknown>) => () => loadAppConfig((key) => context[key]);

/** The error is a ConfigError whose message is one sentence naming `field`. */
function expectConfigError(run: () => unknown, field: string): void {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message).toContain(field);
  expect(message).toMatch(/^Invalid configuration: .*\.$/);
  expect(message).not.toContain('\n');
}

describe('deployment config', () => {
  test('an empty object gets every documented default', () => {
    expect(parseDeploymentConfig({})).toEqual({
      throttle: { rateLimit: 20, burstLimit: 40 },
      archiveRetentionDays: 14,
      workerMaxConcurrency: 2,
      workerTimeoutSeconds: 30,
      maxBodyBytes: 6 * 1024 * 1024,
      discordApiUrl: DISCORD_API_URL,
      removalPolicy: 'retain',
      logRetentionDays: 30,
    });
  });

  test('a missing deployment section means all defaults', () => {
    expect(parseDeploymentConfig(undefined).removalPolicy).toBe('retain');
  });

  test.each([
    ['workerMaxConcurrency', { workerMaxConcurrency: 1 }],
    ['archiveRetentionDays', { archiveRetentionDays: 366 }],
    ['archiveRetentionDays', { archiveRetentionDays: 1.5 }],
    ['throttle.rateLimit', { throttle: { rateLimit: 0 } }],
    ['throttle.burstLimit', { throttle: { burstLimit: -1 } }],
    ['workerTimeoutSeconds', { workerTimeoutSeconds: 901 }],
    ['maxBodyBytes', { maxBodyBytes: MAX_LAMBDA_PAYLOAD_BYTES + 1 }],
    ['discordApiUrl', { discordApiUrl: 'http://proxy.internal/api' }],
    ['discordApiUrl', { discordApiUrl: 'not a url' }],
    ['removalPolicy', { removalPolicy: 'keep' }],
    ['logRetentionDays', { logRetentionDays: 31 }],
    ['alarmEmail', { alarmEmail: 'ops-at-example' }],
    ['unexpected', { unexpected: true }],
  ])('rejects a bad %s with a one-sentence error naming it', (field, raw) => {
    expectConfigError(() => parseDeploymentConfig(raw), field);
  });

  test('accepts an https proxy URL and an alarm email', () => {
    const cfg = parseDeploymentConfig({ discordApiUrl: 'https://nirn.example.com/api', alarmEmail: 'ops@example.com' });
    expect([cfg.discordApiUrl, cfg.alarmEmail]).toEqual(['https://nirn.example.com/api', 'ops@example.com']);
  });
});

describe('loading the app config', () => {
  test('the example shipped in cdk.json is valid', () => {
    const cfg = loadAppConfig((key) => cdkContext[key]);
    expect(cfg.bridge.guildId).toMatch(/^\d{17,20}$/);
    expect(cfg.deployment.workerMaxConcurrency).toBeGreaterThanOrEqual(2);
  });

  test('the shipped ids are the documented placeholders', () => {
    const cfg = loadAppConfig((key) => cdkContext[key]);
    expect([cfg.bridge.guildId, cfg.bridge.defaultChannelId]).toEqual(['111111111111111111', '222222222222222222']);
  });

  test('an invalid bridge config fails naming the bridge field', () => {
    expectConfigError(fromContext({ bridge: { ...bridge, guildId: '42' } }), 'bridge.guildId');
  });

  test('a missing bridge config fails naming bridge', () => {
    expectConfigError(fromContext({}), 'bridge');
  });

  test('an invalid deployment config fails naming the deployment field', () => {
    expectConfigError(
      fromContext({ bridge, deployment: { workerMaxConcurrency: 1 } }),
      'deployment.workerMaxConcurrency',
    );
  });

  test('context given as JSON strings (-c key=json) is parsed', () => {
    const cfg = loadAppConfig(
      (key) => ({ bridge: JSON.stringify(bridge), deployment: '{"archiveRetentionDays":7}' })[key],
    );
    expect([cfg.bridge.defaultChannelId, cfg.deployment.archiveRetentionDays]).toEqual(['222222222222222222', 7]);
  });

  test('context that is not JSON fails naming the key', () => {
    expectConfigError(fromContext({ bridge: '{oops' }), 'bridge');
  });

  test('configFile replaces the context entirely', () => {
    const file = JSON.stringify({ bridge: { ...bridge, defaultChannelId: '555555555555555555' } });
    const reads: string[] = [];
    const cfg = loadAppConfig(
      (key) => ({ configFile: 'stages/prod.json', bridge: { guildId: 'ignored' } })[key],
      (path) => {
        reads.push(path);
        return file;
      },
    );
    expect(reads).toEqual(['stages/prod.json']);
    expect(cfg.bridge.defaultChannelId).toBe('555555555555555555');
    expect(cfg.deployment.archiveRetentionDays).toBe(14);
  });

  test('an unreadable configFile fails naming configFile', () => {
    expectConfigError(fromContext({ configFile: '/nonexistent/discord-pr-threads.json' }), 'configFile');
  });

  test('a configFile that is not JSON fails naming configFile', () => {
    expectConfigError(
      () =>
        loadAppConfig(
          (key) => ({ configFile: 'x.json' })[key],
          () => 'nope',
        ),
      'configFile',
    );
  });

  test('a configFile with an unknown top-level key fails naming it', () => {
    const file = JSON.stringify({ bridge, deploy: {} });
    expectConfigError(
      () =>
        loadAppConfig(
          (key) => ({ configFile: 'x.json' })[key],
          () => file,
        ),
      'deploy',
    );
  });

  test('a configFile with an invalid field fails naming the field', () => {
    const file = JSON.stringify({ bridge, deployment: { removalPolicy: 'keep' } });
    expectConfigError(
      () =>
        loadAppConfig(
          (key) => ({ configFile: 'x.json' })[key],
          () => file,
        ),
      'deployment.removalPolicy',
    );
  });
});
