/**
 * Recovery of failed deliveries. GitHub never retries a failed webhook delivery; it keeps a 3-day log
 * per hook and redelivers on request (same `guid` = X-GitHub-Delivery). This job reads that log, finds
 * the deliveries whose every attempt failed, that nobody already asked to redeliver and that the bridge
 * never finished, and asks GitHub ONCE for each. Pure logic over a {@link GitHubPort}: no HTTP, no AWS here.
 */
import { ConfigError, describeIssue } from './config';
import type { Log, MetricsSink } from './ports';
import * as z from './zod';

/** A webhook whose deliveries the job watches. */
export type GitHubHook =
  | { readonly kind: 'repo'; readonly owner: string; readonly repo: string; readonly hookId: number }
  | { readonly kind: 'org'; readonly org: string; readonly hookId: number };

/** One attempt in a hook's delivery log (the fields of GitHub's "list deliveries" items we use). */
export interface HookDelivery {
  /** Id of this attempt (what `POST .../deliveries/{id}/attempts` takes). */
  readonly id: number;
  /** X-GitHub-Delivery: shared by the original attempt and its redeliveries. */
  readonly guid: string;
  /** ISO timestamp of the attempt. */
  readonly deliveredAt: string;
  readonly redelivery: boolean;
  /** HTTP status our endpoint answered; 0 when GitHub got no answer (timeout, connection refused). */
  readonly statusCode: number;
  readonly event: string;
  readonly action?: string;
}

export interface DeliveryPage {
  /** Newest first, as GitHub returns them. */
  readonly deliveries: readonly HookDelivery[];
  /** Cursor of the next (older) page, when there is one. */
  readonly nextCursor?: string;
}

/** Thrown by a {@link GitHubPort} for an HTTP error or a network failure. Never carries the token. */
export class GitHubError extends Error {
  override readonly name = 'GitHubError';
  constructor(
    /** HTTP status, 0 for network errors and timeouts. */
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface GitHubPort {
  listDeliveries(hook: GitHubHook, cursor?: string): Promise<DeliveryPage>;
  /** Ask GitHub to deliver the attempt `deliveryId` again. */
  redeliver(hook: GitHubHook, deliveryId: number): Promise<void>;
}

export interface RecoveryOptions {
  readonly hooks: readonly GitHubHook[];
  /** Epoch ms of this run. */
  readonly now: number;
  /** How far back GitHub accepts redelivery requests. @default 3 days */
  readonly windowMs?: number;
  /** Pages read per hook at most (100 deliveries each). @default 50 */
  readonly maxPages?: number;
  /** Redeliveries requested per run at most; the rest wait for the next run. @default 200 */
  readonly maxRedeliveries?: number;
}

export interface RecoveryDeps {
  readonly github: GitHubPort;
  /** True when the bridge finished this delivery id (`done` in the deliveries table). */
  readonly isProcessed: (guid: string) => Promise<boolean>;
  readonly log: Log;
  readonly metrics: MetricsSink;
}

export interface RecoverySummary {
  /** Attempts read within the window. */
  readonly scanned: number;
  /** Delivery ids whose every attempt in the window failed (not 2xx). */
  readonly failed: number;
  /** Redeliveries requested by this run. */
  readonly redelivered: number;
  /** Failed delivery ids left alone: redelivery already requested, already processed, or over the per-run cap. */
  readonly skipped: number;
  /** GitHub or table errors (pages, redelivery requests, processed checks); the run went on. */
  readonly errors: number;
}

/** Metric names of the recovery job (namespace `DiscordPrThreads`, service `recovery`). */
export const RECOVERY_METRIC = {
  scanned: 'RecoveryScanned',
  failed: 'RecoveryFailed',
  redelivered: 'RecoveryRedelivered',
  skipped: 'RecoverySkipped',
  errors: 'RecoveryErrors',
} as const;

export const REDELIVERY_WINDOW_MS = 3 * 24 * 60 * 60 * 1000;

export function hookLabel(hook: GitHubHook): string {
  return hook.kind === 'repo' ? `${hook.owner}/${hook.repo}#${hook.hookId}` : `org:${hook.org}#${hook.hookId}`;
}

const isSuccess = (statusCode: number): boolean => statusCode >= 200 && statusCode < 300;

interface Candidate {
  readonly hook: GitHubHook;
  readonly guid: string;
  /** The newest attempt: the one to redeliver. */
  readonly latest: HookDelivery;
  /** An attempt in the window is a redelivery: someone (or an earlier run) already asked. */
  readonly alreadyRequested: boolean;
}

interface Totals {
  scanned: number;
  failed: number;
  redelivered: number;
  skipped: number;
  errors: number;
}

/**
 * One pass over every hook. Never throws for GitHub or table errors: each one is counted, logged and
 * the run goes on with the rest (a page error stops that hook's paging but keeps what was read, which is
 * safe because a redelivery is always newer than the attempt it repeats).
 */
export async function recoverFailedDeliveries(options: RecoveryOptions, deps: RecoveryDeps): Promise<RecoverySummary> {
  const windowStart = options.now - (options.windowMs ?? REDELIVERY_WINDOW_MS);
  const maxPages = options.maxPages ?? 50;
  let budget = options.maxRedeliveries ?? 200;
  const totals: Totals = { scanned: 0, failed: 0, redelivered: 0, skipped: 0, errors: 0 };

  for (const hook of options.hooks) {
    const attempts = await readWindow(hook, windowStart, maxPages, deps, totals);
    for (const candidate of failedCandidates(hook, attempts)) {
      totals.failed++;
      const context = { hook: hookLabel(hook), deliveryId: candidate.guid, event: candidate.latest.event };
      if (candidate.alreadyRequested) {
        totals.skipped++;
        deps.log.info('Redelivery already requested; not asking again', context);
        continue;
      }
      let processed: boolean;
      try {
        processed = await deps.isProcessed(candidate.guid);
      } catch (err) {
        totals.errors++;
        deps.log.error('Recovery could not check the delivery record; left for the next run', {
          ...context,
          error: describe(err),
        });
        continue;
      }
      if (processed) {
        totals.skipped++;
        deps.log.info('Failed delivery was processed anyway; no redelivery', context);
        continue;
      }
      if (budget <= 0) {
        totals.skipped++;
        deps.log.warn('Redelivery cap reached for this run; left for the next run', context);
        continue;
      }
      budget--;
      try {
        await deps.github.redeliver(hook, candidate.latest.id);
        totals.redelivered++;
        deps.log.info('Redelivery requested', { ...context, attemptId: candidate.latest.id });
      } catch (err) {
        totals.errors++;
        deps.log.error('Redelivery request failed', { ...context, error: describe(err) });
      }
    }
  }

  const summary: RecoverySummary = { ...totals };
  deps.metrics.count(RECOVERY_METRIC.scanned, summary.scanned);
  deps.metrics.count(RECOVERY_METRIC.failed, summary.failed);
  deps.metrics.count(RECOVERY_METRIC.redelivered, summary.redelivered);
  deps.metrics.count(RECOVERY_METRIC.skipped, summary.skipped);
  deps.metrics.count(RECOVERY_METRIC.errors, summary.errors);
  deps.log.info('Recovery run finished', { ...summary });
  return summary;
}

/** The attempts of one hook newer than `windowStart`, paging until the window or the log ends. */
async function readWindow(
  hook: GitHubHook,
  windowStart: number,
  maxPages: number,
  deps: RecoveryDeps,
  totals: Totals,
): Promise<HookDelivery[]> {
  const attempts: HookDelivery[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    let result: DeliveryPage;
    try {
      result = await deps.github.listDeliveries(hook, cursor);
    } catch (err) {
      totals.errors++;
      deps.log.error('Listing hook deliveries failed; continuing with what was read', {
        hook: hookLabel(hook),
        page,
        error: describe(err),
      });
      return attempts;
    }
    let pastWindow = false;
    for (const delivery of result.deliveries) {
      const at = Date.parse(delivery.deliveredAt);
      if (!(at >= windowStart)) {
        pastWindow = true;
        continue;
      }
      attempts.push(delivery);
      totals.scanned++;
    }
    if (pastWindow || result.nextCursor === undefined) return attempts;
    cursor = result.nextCursor;
  }
  deps.log.warn('Stopped paging hook deliveries at the page limit', { hook: hookLabel(hook), maxPages });
  return attempts;
}

/** Delivery ids whose attempts in the window all failed (not 2xx), oldest first. */
function failedCandidates(hook: GitHubHook, attempts: readonly HookDelivery[]): Candidate[] {
  const byGuid = new Map<string, HookDelivery[]>();
  for (const attempt of attempts) {
    const group = byGuid.get(attempt.guid);
    if (group === undefined) byGuid.set(attempt.guid, [attempt]);
    else group.push(attempt);
  }
  const candidates: Candidate[] = [];
  for (const [guid, group] of byGuid) {
    if (group.some((a) => isSuccess(a.statusCode))) continue;
    const latest = group.reduce((a, b) => (Date.parse(b.deliveredAt) > Date.parse(a.deliveredAt) ? b : a));
    candidates.push({ hook, guid, latest, alreadyRequested: group.some((a) => a.redelivery) });
  }
  return candidates.sort((a, b) => Date.parse(a.latest.deliveredAt) - Date.parse(b.latest.deliveredAt));
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

const githubName = (what: string) => z.string().check(z.regex(/^[\w.-]+$/, `must be a GitHub ${what}`));
const hookId = z.number().check(z.int(), z.positive());
const hookSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('repo'),
    owner: githubName('owner'),
    repo: z.string().check(z.regex(/^[\w.-]+$/, 'must be a repository name')),
    hookId,
  }),
  z.strictObject({ kind: z.literal('org'), org: githubName('organization'), hookId }),
]);

/** Validates the hooks to watch (from the stack's config, or the `RECOVERY_HOOKS` JSON of the Lambda). */
export function parseHooks(raw: unknown): readonly GitHubHook[] {
  const result = z.array(hookSchema).check(z.minLength(1, 'must list at least one hook')).safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssue(result.error, 'recovery.hooks'));
  return result.data;
}
