/**
 * A small fetch-based GitHub REST client for the recovery job: list a hook's deliveries (cursor paging
 * through the `Link` header) and request a redelivery. The token goes in the Authorization header only:
 * never in a URL, an error message or a log line.
 */
import { type DeliveryPage, GitHubError, type GitHubHook, type GitHubPort, type HookDelivery } from '../core/recovery';
import * as z from '../core/zod';

export interface GitHubClientOptions {
  /** A token that may read and redeliver the hooks' deliveries (`admin:repo_hook` / `admin:org_hook`, or fine-grained "Webhooks: read and write"). */
  readonly token: string;
  /** @default 'https://api.github.com' */
  readonly baseUrl?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per-request timeout. @default 10_000 */
  readonly timeoutMs?: number;
  /** @default 'discord-pr-threads-recovery' */
  readonly userAgent?: string;
}

const deliverySchema = z.object({
  id: z.number(),
  guid: z.string().check(z.minLength(1)),
  delivered_at: z.string(),
  redelivery: z.boolean(),
  status_code: z.number(),
  event: z.string(),
  action: z.nullish(z.string()),
});
const deliveriesSchema = z.array(deliverySchema);

function hookPath(hook: GitHubHook): string {
  const e = encodeURIComponent;
  return hook.kind === 'repo'
    ? `/repos/${e(hook.owner)}/${e(hook.repo)}/hooks/${hook.hookId}`
    : `/orgs/${e(hook.org)}/hooks/${hook.hookId}`;
}

/** The `cursor` query parameter of the `rel="next"` link, when there is one. */
export function nextCursor(link: string | null): string | undefined {
  if (link === null) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match === null) continue;
    const cursor = new URL(match[1], 'https://api.github.com').searchParams.get('cursor');
    return cursor ?? undefined;
  }
  return undefined;
}

export function createGitHubClient(options: GitHubClientOptions): GitHubPort {
  if (options.token.trim().length === 0) throw new Error('The GitHub token is empty.');
  const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${options.token}`,
    'user-agent': options.userAgent ?? 'discord-pr-threads-recovery',
    'x-github-api-version': '2022-11-28',
  };

  async function request(method: 'GET' | 'POST', path: string): Promise<Response> {
    let response: Response;
    try {
      response = await doFetch(`${baseUrl}${path}`, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const reason = err instanceof Error ? err.name : 'unknown error';
      throw new GitHubError(0, `GitHub ${method} ${path} failed: ${reason}`);
    }
    if (!response.ok) {
      const body = await response.text().catch(() => '');
      let detail = '';
      try {
        const parsed: unknown = JSON.parse(body);
        if (
          typeof parsed === 'object' &&
          parsed !== null &&
          'message' in parsed &&
          typeof parsed.message === 'string'
        ) {
          detail = `: ${parsed.message.split(options.token).join('[redacted]').slice(0, 200)}`;
        }
      } catch {
        detail = '';
      }
      throw new GitHubError(response.status, `GitHub ${method} ${path} answered ${response.status}${detail}`);
    }
    return response;
  }

  return {
    async listDeliveries(hook, cursor): Promise<DeliveryPage> {
      const query = new URLSearchParams({ per_page: '100' });
      if (cursor !== undefined) query.set('cursor', cursor);
      const path = `${hookPath(hook)}/deliveries?${query.toString()}`;
      const response = await request('GET', path);
      const parsed = deliveriesSchema.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) throw new GitHubError(response.status, `GitHub GET ${path} returned an unexpected body`);
      const deliveries: HookDelivery[] = parsed.data.map((d) => ({
        id: d.id,
        guid: d.guid,
        deliveredAt: d.delivered_at,
        redelivery: d.redelivery,
        statusCode: d.status_code,
        event: d.event,
        ...(d.action == null ? {} : { action: d.action }),
      }));
      const next = nextCursor(response.headers.get('link'));
      return next === undefined ? { deliveries } : { deliveries, nextCursor: next };
    },

    async redeliver(hook, deliveryId): Promise<void> {
      const response = await request('POST', `${hookPath(hook)}/deliveries/${deliveryId}/attempts`);
      await response.body?.cancel();
    },
  };
}
