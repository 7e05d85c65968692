/** Shared pieces of the benchmarks: statistics, a 25 KB real payload, table formatting, the machine. */
import { cpus } from 'node:os';
import definitions from '@octokit/webhooks-examples';
import type { PullRequestOpenedEvent } from '@octokit/webhooks-types';

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** A real `pull_request.opened` example with its body grown to make the JSON exactly `bytes` long. */
export function pullRequestOpened(bytes = 25 * 1024, number = 2, deliveryTag = ''): Buffer {
  const found = definitions
    .find((d) => d.name === 'pull_request')
    ?.examples.find((e) => typeof e === 'object' && e !== null && 'action' in e && e.action === 'opened');
  if (found === undefined) throw new Error('no pull_request.opened example');
  const payload = structuredClone(found) as PullRequestOpenedEvent;
  payload.pull_request.number = number;
  const paragraph =
    'This change reworks the webhook ingest path so that deliveries are verified on the raw bytes before parsing, ' +
    'adds tests with recorded payloads, and updates the README with the new configuration options. ';
  payload.pull_request.body = `${deliveryTag}`;
  const base = Buffer.byteLength(JSON.stringify(payload));
  if (base > bytes) throw new Error(`the example is already ${base} bytes`);
  let body = deliveryTag;
  while (Buffer.byteLength(body) + base + paragraph.length < bytes) body += paragraph;
  body += 'x'.repeat(bytes - base - Buffer.byteLength(body) + Buffer.byteLength(deliveryTag));
  payload.pull_request.body = body;
  const out = Buffer.from(JSON.stringify(payload), 'utf8');
  if (out.length !== bytes) throw new Error(`payload is ${out.length} bytes, wanted ${bytes}`);
  return out;
}

export interface Machine {
  readonly date: string;
  readonly nproc: number;
  readonly node: string;
  readonly cpu: string;
}

export function machine(): Machine {
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    nproc: cpus().length,
    node: process.version,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
  };
}

/** A Markdown table (also readable as plain text). */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(cells[0] ?? []),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** One section of the report: a title, a table and notes, plus the headline figures for the summary. */
export interface Section {
  readonly title: string;
  readonly body: string;
  readonly headline: readonly Headline[];
}

export interface Headline {
  readonly figure: string;
  readonly value: string;
  readonly goal: string;
  readonly met: boolean | null;
}

export const ratio = (value: number): string =>
  `${Math.abs(value) >= 0.1 || value === 0 ? round(value, 2) : Number(value.toPrecision(2))}×`;
