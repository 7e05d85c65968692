/**
 * `npm start`: the whole bridge in one process. Reads the environment once, prints which Discord is used and
 * where the page is, logs JSON lines after that, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
 */
import { createJsonLinesLog, type LogLevel } from '../lambdas/adapters/observability';
import { type Bridge, startBridge } from './bridge';
import { EnvError, errorCode, readEnv } from './env';

function fail(message: string): never {
  process.stderr.write(`discord-pr-threads: ${message.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(1);
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

async function main(): Promise<void> {
  // The AWS SDK's Node version notice would push the start banner down; the lockfile pins the SDK.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  let env: ReturnType<typeof readEnv>;
  try {
    env = readEnv(process.env, process.cwd());
  } catch (err) {
    if (err instanceof EnvError) fail(err.message);
    throw err;
  }
  const levelName = process.env['LOG_LEVEL']?.toLowerCase();
  const level = LEVELS.find((l) => l === levelName);
  if (levelName !== undefined && level === undefined) fail('LOG_LEVEL must be one of debug, info, warn, error.');
  const log = createJsonLinesLog({ level: level ?? 'info', fields: { service: 'local' } });

  let bridge: Bridge;
  try {
    bridge = await startBridge({ env, log });
  } catch (err) {
    if (err instanceof EnvError) fail(err.message);
    if (errorCode(err) === 'EADDRINUSE') {
      fail(`PORT ${env.port} is already in use; set PORT to a free port.`);
    }
    throw err;
  }

  const lines = [
    `Discord: ${bridge.runtime.describeDiscord}`,
    `Page:    ${bridge.url}/`,
    `Webhook: ${bridge.url}/webhooks/github`,
    bridge.secretSource === 'env'
      ? 'Secret:  from GITHUB_WEBHOOK_SECRET'
      : `Secret:  ${bridge.secret}  (${bridge.secretSource === 'generated' ? 'generated, ' : ''}stored in ${bridge.secretFile}; paste it into the GitHub webhook)`,
    `Data:    ${env.dataDir}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      process.stderr.write('Stopping anyway; unfinished deliveries resume on the next start.\n');
      process.exit(130);
    }
    stopping = true;
    log.info('stopping: no new work, waiting briefly for deliveries in flight', { signal });
    bridge.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('stop failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
