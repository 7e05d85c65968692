import { createGitHubClient, nextCursor } from '../../lambdas/adapters/github';
import { ConfigError } from '../../lambdas/core/config';
import {
  type GitHubHook,
  parseHooks,
  RECOVERY_METRIC,
  type RecoverySummary,
  recoverFailedDeliveries,
} from '../../lambdas/core/recovery';
import { delivery, type FakeGitHub, type Recorder, recorder, startFakeGitHub } from './fake-github';

const NOW = Date.parse('2025-06-10T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TOKEN = 'ghp_fakeTokenThatMustNeverBeLogged0123456789';
const REPO_HOOK: GitHubHook = { kind: 'repo', owner: 'acme', repo: 'widgets', hookId: 11 };
const REPO_PATH = '/repos/acme/widgets/hooks/11';
const ORG_HOOK: GitHubHook = { kind: 'org', org: 'acme', hookId: 22 };
const ORG_PATH = '/orgs/acme/hooks/22';

let github: FakeGitHub;
let rec: Recorder;

beforeEach(async () => {
  github = await startFakeGitHub(100);
  rec = recorder();
});

afterEach(async () => {
  await github.close();
});

const ago = (ms: number): Date => new Date(NOW - ms);

async function run(
  hooks: readonly GitHubHook[],
  processed: ReadonlySet<string> = new Set(),
  extra: { maxRedeliveries?: number } = {},
): Promise<RecoverySummary> {
  return recoverFailedDeliveries(
    { hooks, now: NOW, ...extra },
    {
      github: createGitHubClient({ token: TOKEN, baseUrl: github.url }),
      isProcessed: async (guid) => processed.has(guid),
      log: rec.log,
      metrics: rec.metrics,
    },
  );
}

test('a failed delivery gets exactly one redelivery request for its latest attempt', async () => {
  const first = delivery('g-failed', ago(2 * HOUR), 500);
  const retried = delivery('g-failed', ago(HOUR), 502);
  github.setDeliveries(REPO_PATH, [first, retried, delivery('g-ok', ago(HOUR), 200)]);

  const summary = await run([REPO_HOOK]);

  expect(github.redeliveries.get(REPO_PATH)).toEqual([retried.id]);
  expect(summary).toEqual({ scanned: 3, failed: 1, redelivered: 1, skipped: 0, errors: 0 });
});

test('follows the Link cursor through every page and redelivers failures from all of them', async () => {
  const all = Array.from({ length: 250 }, (_, i) =>
    delivery(`g-${i}`, ago((i + 1) * MINUTE), i % 50 === 0 ? 500 : 200),
  );
  github.setDeliveries(REPO_PATH, all);

  const summary = await run([REPO_HOOK]);

  const pages = github.requests.filter((r) => r.method === 'GET').map((r) => r.path);
  expect(pages).toEqual([
    `${REPO_PATH}/deliveries?per_page=100`,
    `${REPO_PATH}/deliveries?per_page=100&cursor=v1_100`,
    `${REPO_PATH}/deliveries?per_page=100&cursor=v1_200`,
  ]);
  // Oldest first, so a PR's events arrive again in their original order.
  expect(github.redeliveries.get(REPO_PATH)).toEqual([all[200].id, all[150].id, all[100].id, all[50].id, all[0].id]);
  expect(summary).toMatchObject({ scanned: 250, failed: 5, redelivered: 5 });
});

test('a delivery someone already redelivered, or that later succeeded, is not requested again', async () => {
  github.setDeliveries(REPO_PATH, [
    delivery('g-asked', ago(3 * HOUR), 500),
    delivery('g-asked', ago(2 * HOUR), 503, { redelivery: true }),
    delivery('g-healed', ago(3 * HOUR), 500),
    delivery('g-healed', ago(2 * HOUR), 200, { redelivery: true }),
    delivery('g-new', ago(HOUR), 0),
  ]);

  const summary = await run([REPO_HOOK]);

  expect(github.redeliveries.get(REPO_PATH)).toHaveLength(1);
  expect(summary).toEqual({ scanned: 5, failed: 2, redelivered: 1, skipped: 1, errors: 0 });
});

test('a failed delivery the bridge processed anyway (done in the table) is skipped', async () => {
  github.setDeliveries(REPO_PATH, [delivery('g-done', ago(HOUR), 504), delivery('g-lost', ago(HOUR), 504)]);

  const summary = await run([REPO_HOOK], new Set(['g-done']));

  expect(github.redeliveries.get(REPO_PATH)).toHaveLength(1);
  expect(rec.lines.find((l) => l.message === 'Redelivery requested')?.extra).toMatchObject({ deliveryId: 'g-lost' });
  expect(summary).toMatchObject({ failed: 2, redelivered: 1, skipped: 1 });
});

test('stops paging at the 3-day redelivery window and ignores older failures', async () => {
  const recent = Array.from({ length: 150 }, (_, i) => delivery(`r-${i}`, ago(2 * DAY + i * MINUTE), 200));
  const old = Array.from({ length: 300 }, (_, i) => delivery(`o-${i}`, ago(3 * DAY + (i + 1) * MINUTE), 500));
  const edge = delivery('edge', ago(3 * DAY - MINUTE), 500);
  github.setDeliveries(REPO_PATH, [...recent, edge, ...old]);

  const summary = await run([REPO_HOOK]);

  expect(github.requests.filter((r) => r.method === 'GET')).toHaveLength(2);
  expect(github.redeliveries.get(REPO_PATH)).toEqual([edge.id]);
  expect(summary).toMatchObject({ scanned: 151, failed: 1, redelivered: 1 });
});

test('a GitHub 5xx on a page is counted and the other hooks still run', async () => {
  github.setDeliveries(
    REPO_PATH,
    Array.from({ length: 150 }, (_, i) => delivery(`a-${i}`, ago((i + 1) * MINUTE), i === 10 ? 500 : 200)),
  );
  github.setDeliveries(ORG_PATH, [delivery('org-failed', ago(HOUR), 500)]);
  github.failNext('GET', `${REPO_PATH}/deliveries`, 502);

  const summary = await run([REPO_HOOK, ORG_HOOK]);

  expect(github.redeliveries.get(ORG_PATH)).toHaveLength(1);
  expect(github.redeliveries.has(REPO_PATH)).toBe(false);
  expect(summary.errors).toBe(1);
  expect(rec.lines.some((l) => l.level === 'error' && l.message.startsWith('Listing hook deliveries failed'))).toBe(
    true,
  );
});

test('a page that fails after the first keeps what was read and still redelivers from it', async () => {
  const all = Array.from({ length: 150 }, (_, i) => delivery(`p-${i}`, ago((i + 1) * MINUTE), i === 5 ? 500 : 200));
  github.setDeliveries(REPO_PATH, all);
  github.failNext('GET', `${REPO_PATH}/deliveries?per_page=100&cursor=v1_100`, 502);

  const summary = await run([REPO_HOOK]);

  expect(github.redeliveries.get(REPO_PATH)).toEqual([all[5].id]);
  expect(summary).toEqual({ scanned: 100, failed: 1, redelivered: 1, skipped: 0, errors: 1 });
});

test('a GitHub 5xx on one redelivery is counted and the next one is still requested', async () => {
  const a = delivery('g-a', ago(2 * HOUR), 500);
  const b = delivery('g-b', ago(HOUR), 500);
  github.setDeliveries(REPO_PATH, [a, b]);
  github.failNext('POST', `${REPO_PATH}/deliveries/${a.id}/attempts`, 503);

  const summary = await run([REPO_HOOK]);

  expect(github.redeliveries.get(REPO_PATH)).toEqual([b.id]);
  expect(summary).toEqual({ scanned: 2, failed: 2, redelivered: 1, skipped: 0, errors: 1 });
});

test('a failing processed-check counts an error and does not redeliver blindly', async () => {
  github.setDeliveries(REPO_PATH, [delivery('g-x', ago(HOUR), 500)]);

  const summary = await recoverFailedDeliveries(
    { hooks: [REPO_HOOK], now: NOW },
    {
      github: createGitHubClient({ token: TOKEN, baseUrl: github.url }),
      isProcessed: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
      log: rec.log,
      metrics: rec.metrics,
    },
  );

  expect(github.redeliveries.size).toBe(0);
  expect(summary).toMatchObject({ failed: 1, redelivered: 0, errors: 1 });
});

test('the per-run cap leaves the rest for the next run', async () => {
  github.setDeliveries(
    REPO_PATH,
    Array.from({ length: 5 }, (_, i) => delivery(`c-${i}`, ago((i + 1) * MINUTE), 500)),
  );

  const summary = await run([REPO_HOOK], new Set(), { maxRedeliveries: 2 });

  expect(github.redeliveries.get(REPO_PATH)).toHaveLength(2);
  expect(summary).toMatchObject({ failed: 5, redelivered: 2, skipped: 3 });
});

test('the summary is counted as metrics', async () => {
  github.setDeliveries(REPO_PATH, [delivery('m-1', ago(HOUR), 500), delivery('m-2', ago(HOUR), 201)]);

  await run([REPO_HOOK]);

  expect(Object.fromEntries(rec.counts)).toEqual({
    [RECOVERY_METRIC.scanned]: 2,
    [RECOVERY_METRIC.failed]: 1,
    [RECOVERY_METRIC.redelivered]: 1,
    [RECOVERY_METRIC.skipped]: 0,
    [RECOVERY_METRIC.errors]: 0,
  });
});

test('the token is sent as a bearer header and never appears in logs, even when GitHub echoes it', async () => {
  github.setDeliveries(REPO_PATH, [delivery('t-1', ago(HOUR), 500)]);
  github.setDeliveries(ORG_PATH, [delivery('t-2', ago(HOUR), 500)]);
  github.failNext('GET', `${REPO_PATH}/deliveries`, 401, JSON.stringify({ message: `Bad credentials: ${TOKEN}` }));
  github.failNext('POST', `${ORG_PATH}/deliveries`, 500, JSON.stringify({ message: `token=${TOKEN}` }));

  const summary = await run([REPO_HOOK, ORG_HOOK]);

  expect(summary.errors).toBe(2);
  expect(github.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  expect(github.requests.every((r) => !r.path.includes(TOKEN))).toBe(true);
  const logged = JSON.stringify(rec.lines);
  expect(logged).toContain('Bad credentials: [redacted]');
  expect(logged).not.toContain(TOKEN);
  expect(logged).not.toContain(TOKEN.slice(0, 12));
});

test('nextCursor reads the cursor of the rel="next" link only', () => {
  expect(
    nextCursor(
      '<https://api.github.com/repos/a/b/hooks/1/deliveries?per_page=100&cursor=v1_42>; rel="next", <https://api.github.com/x>; rel="prev"',
    ),
  ).toBe('v1_42');
  expect(nextCursor('<https://api.github.com/x?cursor=v1_1>; rel="prev"')).toBeUndefined();
  expect(nextCursor(null)).toBeUndefined();
});

test('parseHooks accepts repository and organization hooks and names the bad field', () => {
  expect(
    parseHooks([
      { kind: 'repo', owner: 'acme', repo: 'w', hookId: 1 },
      { kind: 'org', org: 'acme', hookId: 2 },
    ]),
  ).toHaveLength(2);
  expect(() => parseHooks([])).toThrow(ConfigError);
  expect(() => parseHooks([{ kind: 'repo', owner: 'acme', repo: 'w', hookId: -1 }])).toThrow(
    /recovery\.hooks\.0\.hookId/,
  );
});

test('an empty token is refused before any request', () => {
  expect(() => createGitHubClient({ token: '  ', baseUrl: github.url })).toThrow('The GitHub token is empty.');
});
