/**
 * Child process of the local-mode benchmark: `bridge <dataDir> <secret>` starts the whole bridge (`startBridge`,
 * preview Discord emulator) on a free loopback port; `bare` starts a node:http server that reads the body and answers
 * 202. Prints `{"url": ...}` on one line, then runs until killed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLog } from '../../lambdas/core/ports';
import { startBridge } from '../../local/bridge';
import { writeFileAtomic } from '../../local/queue';

async function main(): Promise<void> {
  const [mode, dataDir, secret] = process.argv.slice(2);
  if (mode === 'bare' || mode === 'durable') {
    // `durable`: the disk floor of a durable hand-off — one atomic, fsynced file per request (the local queue's writer).
    let n = 0;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const done = () => {
          res.writeHead(202, { 'content-type': 'application/json' });
          res.end('{"accepted":true}');
        };
        if (mode === 'bare' || dataDir === undefined) done();
        else writeFileAtomic(`${dataDir}/${n++}.json`, Buffer.concat(chunks).toString('utf8')).then(done, done);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
    return;
  }
  if (mode !== 'bridge' || dataDir === undefined || secret === undefined)
    throw new Error('usage: bridge <dataDir> <secret> | bare | durable <dataDir>');
  const bridge = await startBridge({
    env: { port: 0, host: '127.0.0.1', dataDir, webhookSecret: secret, discord: { kind: 'preview' } },
    log: silentLog,
  });
  process.stdout.write(`${JSON.stringify({ url: bridge.url })}\n`);
  process.on('SIGTERM', () => {
    bridge.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
