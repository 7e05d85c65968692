/**
 * A fake of GitHub's hook-delivery REST endpoints on 127.0.0.1: cursor paging with a `Link` header
 * (newest first, like GitHub), redelivery requests recorded, and failures injectable per request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Log, MetricsSink } from '../../lambdas/core/ports';

export interface FakeDelivery {
  readonly id: number;
  readonly guid: string;
  readonly delivered_at: string;
  readonly redelivery: boolean;
  readonly status_code: number;
  readonly event: string;
  readonly action: string | null;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

export interface FakeGitHub {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Attempt ids redelivered, per hook path (`/repos/o/r/hooks/1`). */
  readonly redeliveries: Map<string, number[]>;
  /** Deliveries per hook path, any order (served newest first). */
  setDeliveries(hookPath: string, deliveries: readonly FakeDelivery[]): void;
  /** The next request whose path + query starts with `pathPrefix` gets this answer instead (once per call). */
  failNext(method: string, pathPrefix: string, status: number, body?: string): void;
  close(): Promise<void>;
}

let nextId = 1;

export function delivery(
  guid: string,
  deliveredAt: Date,
  statusCode: number,
  extra: Partial<Pick<FakeDelivery, 'redelivery' | 'event' | 'action'>> = {},
): FakeDelivery {
  return {
    id: nextId++,
    guid,
    delivered_at: deliveredAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    redelivery: extra.redelivery ?? false,
    status_code: statusCode,
    event: extra.event ?? 'pull_request',
    action: extra.action ?? 'opened',
  };
}

export async function startFakeGitHub(pageSize = 100): Promise<FakeGitHub> {
  const hooks = new Map<string, FakeDelivery[]>();
  const requests: RecordedRequest[] = [];
  const redeliveries = new Map<string, number[]>();
  const failures: { method: string; pathPrefix: string; status: number; body: string }[] = [];

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    requests.push({ method, path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    const target = `${url.pathname}${url.search}`;
    const failure = failures.findIndex((f) => f.method === method && target.startsWith(f.pathPrefix));
    if (failure >= 0) {
      const [f] = failures.splice(failure, 1);
      send(res, f.status, f.body);
      return;
    }
    const list = /^(.*\/hooks\/\d+)\/deliveries$/.exec(url.pathname);
    if (method === 'GET' && list !== null) {
      const all = [...(hooks.get(list[1]) ?? [])].sort(
        (a, b) => Date.parse(b.delivered_at) - Date.parse(a.delivered_at) || b.id - a.id,
      );
      const size = Math.min(Number(url.searchParams.get('per_page') ?? '30'), pageSize);
      const cursor = url.searchParams.get('cursor');
      const start = cursor === null ? 0 : Number(cursor.replace(/^v1_/, ''));
      const page = all.slice(start, start + size);
      const headers: Record<string, string> = {};
      if (start + size < all.length) {
        const next = new URL(`${url.origin}${url.pathname}`);
        next.searchParams.set('per_page', String(size));
        next.searchParams.set('cursor', `v1_${start + size}`);
        headers.link = `<${next.toString()}>; rel="next"`;
      }
      send(res, 200, page, headers);
      return;
    }
    const attempt = /^(.*\/hooks\/\d+)\/deliveries\/(\d+)\/attempts$/.exec(url.pathname);
    if (method === 'POST' && attempt !== null) {
      const ids = redeliveries.get(attempt[1]) ?? [];
      ids.push(Number(attempt[2]));
      redeliveries.set(attempt[1], ids);
      send(res, 202, {});
      return;
    }
    send(res, 404, { message: 'Not Found' });
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    redeliveries,
    setDeliveries(hookPath, deliveries) {
      hooks.set(hookPath, [...deliveries]);
    },
    failNext(method, pathPrefix, status, body = JSON.stringify({ message: 'Server Error' })) {
      failures.push({ method, pathPrefix, status, body });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export interface Recorder {
  readonly lines: { level: string; message: string; extra?: Record<string, unknown> }[];
  readonly counts: Map<string, number>;
  readonly log: Log;
  readonly metrics: MetricsSink;
}

/** A {@link Log} and metrics sink that keep everything they are given. */
export function recorder(): Recorder {
  const lines: Recorder['lines'] = [];
  const counts = new Map<string, number>();
  const at =
    (level: string) =>
    (message: string, extra?: Record<string, unknown>): void => {
      lines.push({ level, message, extra });
    };
  return {
    lines,
    counts,
    log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    metrics: {
      count(name, value = 1) {
        counts.set(name, (counts.get(name) ?? 0) + value);
      },
      milliseconds() {},
    },
  };
}
