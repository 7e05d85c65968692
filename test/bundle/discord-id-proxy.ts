/**
 * A loopback proxy in front of the Discord emulator that translates snowflakes both ways.
 *
 * The worker's BRIDGE_CONFIG comes unchanged from the template (cdk.json's example: guild 111111111111111111,
 * default channel 222222222222222222, ...), but the emulator mints its own ids and takes none. Rather than change
 * the config the stack wrote, requests get the template's ids replaced by the emulator's, and answers the reverse,
 * so the bundle sees exactly the Discord its config describes.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface IdProxy {
  /** Base URL to give the bundle as `DISCORD_API_URL` (same path prefix as the emulator's, e.g. `/api`). */
  readonly url: string;
  /** Requests forwarded so far. */
  readonly forwarded: () => number;
  close(): Promise<void>;
}

const SNOWFLAKE = /(?<!\d)\d{17,20}(?!\d)/g;

function translate(text: string, ids: ReadonlyMap<string, string>): string {
  return text.replace(SNOWFLAKE, (id) => ids.get(id) ?? id);
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** `toEmulator`: template id → emulator id. */
export async function startIdProxy(emulatorUrl: string, toEmulator: ReadonlyMap<string, string>): Promise<IdProxy> {
  const target = new URL(emulatorUrl);
  const toTemplate = new Map([...toEmulator].map(([a, b]) => [b, a]));
  let forwarded = 0;

  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = Buffer.from(translate((await readAll(req)).toString('utf8'), toEmulator), 'utf8');
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    }
    headers['content-length'] = String(body.byteLength);
    forwarded += 1;
    const upstream = await new Promise<IncomingMessage>((resolve, reject) => {
      const out = request(
        {
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: translate(req.url ?? '/', toEmulator),
          headers,
        },
        resolve,
      );
      out.once('error', reject);
      out.end(body);
    });
    const answer = Buffer.from(translate((await readAll(upstream)).toString('utf8'), toTemplate), 'utf8');
    const answerHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) answerHeaders[name] = value;
    }
    answerHeaders['content-length'] = String(answer.byteLength);
    res.writeHead(upstream.statusCode ?? 502, answerHeaders);
    res.end(answer);
  };

  const server = createServer((req, res) => {
    forward(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`id proxy: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname.replace(/\/$/, '')}`,
    forwarded: () => forwarded,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
