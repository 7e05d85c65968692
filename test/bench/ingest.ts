/**
 * Ingest cost per delivery: `acceptWebhook` on a 25 KB real payload with the publisher stubbed in-process, against
 * the floor any verifier pays (HMAC-SHA256 over the bytes + JSON.parse of the same bytes). Interleaved rounds,
 * alternating which goes first; the figure is the median of the per-round ratios.
 */
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { acceptWebhook, type IngestDeps } from '../../lambdas/core/ingest';
import { noMetrics, silentLog } from '../../lambdas/core/ports';
import { sign } from '../../lambdas/core/signature';
import { median, percentile, pullRequestOpened, ratio, round, type Section, table } from './common';

const SECRET = 'bench-webhook-secret-0123456789abcdef';

export async function benchIngest(options: { rounds?: number; perRound?: number } = {}): Promise<Section> {
  const rounds = options.rounds ?? 41;
  const perRound = options.perRound ?? 300;
  const body = pullRequestOpened();
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'pull_request',
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-hub-signature-256': sign(SECRET, body),
  };
  let published = 0;
  const deps: IngestDeps = {
    secrets: async () => [SECRET],
    publisher: {
      publish: async () => {
        published++;
      },
    },
    maxBodyBytes: 6 * 1024 * 1024,
    log: silentLog,
    metrics: noMetrics,
    now: Date.now,
  };
  let sink = 0;
  const floor = async (): Promise<void> => {
    const digest = createHmac('sha256', SECRET).update(body).digest();
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    sink += digest[0] ?? 0;
    if (typeof parsed !== 'object') sink++;
  };
  const ingest = async (): Promise<void> => {
    const res = await acceptWebhook({ headers, body }, deps);
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
  };
  const time = async (fn: () => Promise<void>): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) await fn();
    return (performance.now() - start) / perRound;
  };
  // Warm-up: JIT both paths.
  for (let i = 0; i < 3; i++) {
    await time(floor);
    await time(ingest);
  }
  const ratios: number[] = [];
  const ingestUs: number[] = [];
  const floorUs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let a: number;
    let b: number;
    if (r % 2 === 0) {
      a = await time(ingest);
      b = await time(floor);
    } else {
      b = await time(floor);
      a = await time(ingest);
    }
    ingestUs.push(a * 1000);
    floorUs.push(b * 1000);
    ratios.push(a / b);
  }
  if (published === 0 || sink < 0) throw new Error('nothing was published');
  const r = median(ratios);
  return {
    title: 'Ingest cost per delivery (25 KB pull_request.opened, publisher stubbed in-process)',
    body: [
      table(
        ['measure', 'median µs / delivery', 'p90 µs'],
        [
          [
            'floor: HMAC-SHA256 + JSON.parse of the same bytes',
            round(median(floorUs), 1),
            round(percentile(floorUs, 90), 1),
          ],
          [
            'acceptWebhook (verify, decode, parse, classify, envelope)',
            round(median(ingestUs), 1),
            round(percentile(ingestUs, 90), 1),
          ],
        ],
      ),
      '',
      `Median of ${rounds} interleaved per-round ratios (${perRound} deliveries each): **${ratio(r)}** ` +
        `(p10 ${ratio(percentile(ratios, 10))}, p90 ${ratio(percentile(ratios, 90))}). Goal ≤ 3×.`,
    ].join('\n'),
    headline: [{ figure: 'Ingest vs HMAC+JSON.parse floor', value: ratio(r), goal: '≤ 3×', met: r <= 3 }],
  };
}
