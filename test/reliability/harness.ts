/**
 * The three reliability experiments, shared by the fast suite (`reliability.test.ts`) and the full run (`chaos.ts`):
 * - `runChaos`: a generated GitHub history through the at-least-once simulator against a faulty Discord;
 * - `crashSweep`: a crash at every step boundary of the worker, retried after the lease;
 * - `runOutage`: Discord down for 30 simulated minutes, dead letters, then a redrive.
 * Each returns its figures (printed by the caller) and the verification against the scenario.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DELIVERIES_TABLE } from '../../lambdas/adapters/tables';
import type { DiscordPort } from '../../lambdas/core/ports';
import { processEnvelope, type WorkerDeps } from '../../lambdas/core/process';
import type { Envelope } from '../../lambdas/core/types';
import type { RequestLogEntry } from '../../local/discord-emulator';
import { type ReliabilityRig, startReliabilityRig, VISIBILITY_MS } from './rig';
import {
  type ChannelKind,
  deliveryIdFrom,
  type GithubDelivery,
  generateScenario,
  type PrHistory,
  PrLife,
  REPOS,
  type Repo,
  type Scenario,
  seeded,
} from './scenario';
import { type Arrival, FifoSimulator, type SimStats } from './simulator';
import { type Verification, verifyDiscord } from './verify';

/** Discord bans an IP at 10,000 invalid requests (401/403/429) in 10 minutes; the goal is under 1 % of it. */
export const INVALID_BUDGET = 100;
const TEN_MINUTES = 10 * 60_000;

/** Reviewers mapped to Discord users, so notes carry real pings (only these may be pinged). */
function userMap(prs: number): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: prs }, (_, i) => [`r${i}x0`, String(400_000_000_000_000_000n + BigInt(i))]),
  );
}

export interface RequestFigures {
  readonly total: number;
  readonly status5xx: number;
  readonly after5xxApplied: number;
  readonly status429: number;
  readonly dropped: number;
  readonly delayed: number;
  /** 401/403/429 in the worst 10 minutes of simulated time. */
  readonly invalidMax10Min: number;
  readonly invalidTotal: number;
}

export function requestFigures(log: readonly RequestLogEntry[], from = 0): RequestFigures {
  const entries = log.filter((r) => Date.parse(r.at) >= from);
  const invalidAt = entries
    .filter((r) => r.status === 401 || r.status === 403 || r.status === 429)
    .map((r) => Date.parse(r.at))
    .sort((a, b) => a - b);
  let worst = 0;
  for (let lo = 0, hi = 0; hi < invalidAt.length; hi++) {
    while ((invalidAt[hi] ?? 0) - (invalidAt[lo] ?? 0) >= TEN_MINUTES) lo++;
    worst = Math.max(worst, hi - lo + 1);
  }
  return {
    total: entries.length,
    status5xx: entries.filter((r) => r.status >= 500).length,
    after5xxApplied: entries.filter((r) => r.fault === '500-after-apply').length,
    status429: entries.filter((r) => r.status === 429).length,
    dropped: entries.filter((r) => r.fault === 'drop').length,
    delayed: entries.filter((r) => r.fault === 'delay').length,
    invalidMax10Min: worst,
    invalidTotal: invalidAt.length,
  };
}

const pct = (n: number, d: number) => (d === 0 ? '0.0' : ((100 * n) / d).toFixed(1));

function describeSim(s: SimStats): string[] {
  const causes = [...s.failures].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`);
  return [
    `queue: sent ${s.sent}, dropped by FIFO dedupe ${s.deduplicated}, receives ${s.receives}, invocations ${s.invocations}, attempts ${s.attempts}, concurrent duplicate pairs ${s.concurrentPairs}`,
    `failed attempts: ${causes.length === 0 ? 'none' : causes.join(', ')}; skipped behind a failed record ${s.skipped}`,
    `dead-lettered ${s.movedToDlq}, redriven ${s.redriven}; max attempts of one PR at once ${s.maxGroupOverlap} (FIFO violations ${s.fifoViolations})`,
  ];
}

function describeVerification(v: Verification, prs: number): string[] {
  return [
    `threads: ${v.liveThreads} live for ${v.expectedThreads} PRs; orphan starters ${v.orphanStarters}`,
    `messages: ${v.exactlyOnce}/${v.expectedMessages} expected exactly once (missing ${v.missing}, duplicated ${v.duplicated}, unrecognised ${v.unknown}); comments ${v.comments.exactlyOnce}/${v.comments.expected} exactly once`,
    `order: ${v.prsInOrder}/${prs} PRs in GitHub order; final state (name, archived/locked, tags): ${v.prsFinalStateRight}/${prs} right; mass/role pings ${v.pings}`,
  ];
}

/** Every delivery id the scenario sent (originals and replays under fresh ids). */
function allIds(scenario: Scenario): string[] {
  return [
    ...scenario.deliveries.map((d) => d.id),
    ...scenario.copies.filter((c) => c.kind === 'replayNewId').map((c) => c.id),
  ];
}

async function doneInStore(rig: ReliabilityRig, ids: readonly string[]): Promise<number> {
  let done = 0;
  for (let i = 0; i < ids.length; i += 25) {
    const items = await Promise.all(
      ids
        .slice(i, i + 25)
        .map((id) =>
          rig.dynamo.doc.send(
            new GetCommand({ TableName: rig.dynamo.tables.deliveries, Key: { [DELIVERIES_TABLE.partitionKey]: id } }),
          ),
        ),
    );
    done += items.filter((r) => r.Item?.status === 'done').length;
  }
  return done;
}

// ---------------------------------------------------------------- chaos run

export interface ChaosRunOptions {
  readonly seed: number;
  readonly prs: number;
  readonly deliveries: number;
  /** @default 0.3 */
  readonly duplicateRate?: number;
  /** 5xx without applying. @default 0.05 */
  readonly rate5xx?: number;
  /** Writes applied, then 5xx (only writes draw it, so ≈ 5 % of all requests). @default 0.08 */
  readonly rate5xxAfterApply?: number;
  /** @default 0.05 */
  readonly rate429?: number;
  /** @default 0.1 */
  readonly rateDelay?: number;
  /** @default 25 */
  readonly delayMs?: number;
  /** Concurrent worker invocations. @default 5 */
  readonly concurrency?: number;
}

export interface ChaosResult {
  readonly seed: number;
  readonly scenario: Scenario;
  readonly stats: SimStats;
  readonly uniqueDeliveries: number;
  readonly copies: Readonly<Record<string, number>>;
  /** Before the redrive: ended in their effect (processed), in the DLQ, or neither (lost). */
  readonly beforeRedrive: { readonly processed: number; readonly deadLettered: number; readonly lost: number };
  /** After the redrive with faults off. */
  readonly lost: number;
  readonly doneInStore: number;
  readonly deadLetteredPrs: ReadonlySet<number>;
  readonly requests: RequestFigures;
  readonly verification: Verification;
  readonly wallMs: number;
  /** Still in the DLQ after the redrive (must be empty), with their last error. */
  readonly deadAfterRedrive: readonly string[];
  /** Sample of the worker's warnings and errors. */
  readonly workerProblems: readonly string[];
  readonly figures: readonly string[];
}

export async function runChaos(o: ChaosRunOptions): Promise<ChaosResult> {
  const started = performance.now();
  const scenario = generateScenario({
    seed: o.seed,
    prs: o.prs,
    deliveries: o.deliveries,
    duplicateRate: o.duplicateRate ?? 0.3,
  });
  const rig = await startReliabilityRig({ users: userMap(o.prs) });
  try {
    const clock = rig.discord.clock;
    const t0 = clock.read();
    const sim = new FifoSimulator({
      clock,
      container: () => rig.container(),
      visibilityTimeoutMs: VISIBILITY_MS,
      concurrency: o.concurrency ?? 5,
    });
    const concurrent = new Set(scenario.copies.filter((c) => c.kind === 'concurrent').map((c) => c.id));
    const publish =
      (d: GithubDelivery, id: string, concurrentDuplicate = false) =>
      () => {
        sim.send(rig.envelope(d.event, d.payload, id), { concurrentDuplicate });
      };
    const arrivals: Arrival[] = [
      ...scenario.deliveries.map((d) => ({ at: t0 + d.at, send: publish(d, d.id, concurrent.has(d.id)) })),
      ...scenario.copies
        .filter((c) => c.kind !== 'concurrent')
        .map((c) => ({ at: t0 + c.at, send: publish(c.of, c.id) })),
    ];
    rig.discord.emu.setChaos({
      seed: o.seed,
      rate5xx: o.rate5xx ?? 0.05,
      rate5xxAfterApply: o.rate5xxAfterApply ?? 0.08,
      rate429: o.rate429 ?? 0.05,
      rateDelay: o.rateDelay ?? 0.1,
      delayMs: o.delayMs ?? 25,
    });
    await sim.run({ arrivals });
    const requests = requestFigures(rig.discord.emu.state.requests(), t0);

    const ids = allIds(scenario);
    const dead = new Set(sim.dlq.map((m) => m.envelope.deliveryId));
    const processed = ids.filter((id) => sim.outcomes.has(id)).length;
    const deadOnly = ids.filter((id) => !sim.outcomes.has(id) && dead.has(id)).length;
    const beforeRedrive = { processed, deadLettered: deadOnly, lost: ids.length - processed - deadOnly };
    const prOfGroup = new Map(scenario.prs.map((p) => [`${p.repo.id}#${p.number}`, p.index]));
    const deadLetteredPrs = new Set(sim.dlq.map((m) => prOfGroup.get(m.envelope.groupId) ?? -1));

    rig.discord.emu.setChaos(null);
    sim.redrive();
    await sim.run();
    const lost = ids.filter((id) => !sim.outcomes.has(id)).length;
    const deadAfterRedrive = sim.dlq.map(
      (m) => `${m.envelope.deliveryId} ${m.envelope.event}.${m.envelope.action} ${m.envelope.groupId}: ${m.lastError}`,
    );
    const stored = await doneInStore(rig, ids);
    const verified = verifyDiscord(rig.discord.emu, rig.channelOf, scenario.prs, dead);
    // Each problem PR's deliveries that failed at least once (what to look at when replaying the seed).
    const failedOf = (pr: PrHistory) =>
      pr.deliveries
        .filter((d) => sim.failuresOf.has(d.id))
        .map((d) => `#${d.seq} ${d.event}.${d.action} (${(sim.failuresOf.get(d.id) ?? []).join(', ')})`);
    const verification = {
      ...verified,
      problems: verified.problems.map((p) => {
        const pr = scenario.prs.find((x) => p.startsWith(`${x.repo.fullName}#${x.number}:`));
        const failed = pr ? failedOf(pr) : [];
        return failed.length === 0 ? p : `${p} [failed attempts: ${failed.join('; ')}]`;
      }),
    };
    const copies: Record<string, number> = {};
    for (const c of scenario.copies) copies[c.kind] = (copies[c.kind] ?? 0) + 1;
    const duplicated = scenario.copies.filter((c) => c.kind !== 'replayNewId').length;
    const wallMs = performance.now() - started;
    const figures = [
      `seed ${o.seed}: ${scenario.deliveries.length} GitHub deliveries for ${o.prs} PRs over ${((clock.read() - t0) / 3_600_000).toFixed(1)} simulated hours`,
      `duplicates: ${duplicated} (${pct(duplicated, scenario.deliveries.length)} %): concurrent ${copies.concurrent ?? 0}, GitHub redeliveries ${copies.redelivery ?? 0}, within the 5-min window ${copies.windowed ?? 0}; replays under a fresh id ${copies.replayNewId ?? 0}`,
      `Discord: ${requests.total} requests, 5xx ${requests.status5xx} (${pct(requests.status5xx, requests.total)} %, ${requests.after5xxApplied} after the write was applied), 429 ${requests.status429} (${pct(requests.status429, requests.total)} %), delayed ${requests.delayed}`,
      ...describeSim(sim.stats),
      `before redrive: ${beforeRedrive.processed} processed + ${beforeRedrive.deadLettered} in the DLQ of ${ids.length} deliveries → lost ${beforeRedrive.lost}`,
      `after redrive (faults off): lost ${lost}; marked done in DynamoDB ${stored}/${ids.length}`,
      ...describeVerification(verification, o.prs),
      `invalid Discord requests (401/403/429): worst 10 simulated minutes ${requests.invalidMax10Min}, whole run ${requests.invalidTotal} (budget < ${INVALID_BUDGET} per 10 min = 1 % of the ban threshold)`,
      `PRs with a dead-lettered delivery: ${deadLetteredPrs.size}; wall time ${(wallMs / 1000).toFixed(1)} s`,
    ];
    return {
      seed: o.seed,
      scenario,
      stats: sim.stats,
      uniqueDeliveries: ids.length,
      copies,
      beforeRedrive,
      lost,
      doneInStore: stored,
      deadLetteredPrs,
      requests,
      verification,
      wallMs,
      deadAfterRedrive,
      workerProblems: rig.problems.slice(0, 200),
      figures,
    };
  } finally {
    await rig.close();
  }
}

// ---------------------------------------------------------------- crash sweep

class Crash extends Error {
  override readonly name = 'Crash';
}

/** Deps of a process that dies at its `n`-th step boundary; a crashed process runs no cleanup (no release). */
function crashing(
  rig: ReliabilityRig,
  n: number,
): { readonly deps: WorkerDeps; readonly crashed: () => string | undefined } {
  let count = 0;
  let label: string | undefined;
  const boundary = (what: string) => {
    count += 1;
    if (count === n) {
      label = what;
      throw new Crash(`crash ${what}`);
    }
  };
  const after =
    <A extends unknown[], R>(name: string, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await fn(...args);
      boundary(`after ${name}`);
      return result;
    };
  const wrap = (port: DiscordPort): DiscordPort => ({
    ...port,
    createMessage: after('message create', port.createMessage.bind(port)),
    startThreadFromMessage: after('thread create', port.startThreadFromMessage.bind(port)),
    createForumPost: after('thread create (forum post)', port.createForumPost.bind(port)),
    editThread: after('thread edit', port.editThread.bind(port)),
    editMessage: after('message edit', port.editMessage.bind(port)),
    setForumTags: after('forum tags', port.setForumTags.bind(port)),
  });
  const base = rig.container({ wrap });
  const deps: WorkerDeps = {
    ...base,
    threads: {
      get: (key) => base.threads.get(key),
      put: async (state) => {
        boundary('before state save');
        return base.threads.put(state);
      },
    },
    deliveries: {
      claim: (id, now, lease) => base.deliveries.claim(id, now, lease),
      firstAttemptAt: (id) => base.deliveries.firstAttemptAt(id),
      complete: async (id, now) => {
        boundary('before marking done');
        return base.deliveries.complete(id, now);
      },
      release: async () => {},
    },
  };
  return { deps, crashed: () => label };
}

/**
 * A PR's whole life, the same for every sweep run (only the PR, and so every marker, differs). `short` keeps
 * one delivery of each kind of step (thread, note, comment, reply, rename, close, write to a closed thread).
 */
export function crashScript(index: number, repo: Repo, length: 'full' | 'short' = 'full'): PrHistory {
  const random = seeded(index);
  const life = new PrLife(index, repo, 5000 + index, () => deliveryIdFrom(random));
  let t = 0;
  const next = () => {
    t += 60_000;
    return t;
  };
  life.opened(next(), [`r${index}x0`], ['bug']);
  if (length === 'short') {
    life.reviewComment(next());
    life.reviewComment(next(), 0);
    life.editTitle(next());
    life.close(next(), true);
    life.comment(next());
    return life.history();
  }
  life.reviewRequested(next(), `r${index}x0`);
  life.labeled(next(), 'bug');
  life.comment(next());
  life.reviewComment(next());
  life.reviewComment(next(), 0);
  life.editTitle(next());
  life.submitReview(next(), 'approved');
  life.close(next(), false);
  life.reopen(next());
  life.close(next(), true);
  life.comment(next());
  return life.history();
}

export interface CrashSweepResult {
  readonly runs: number;
  readonly crashes: number;
  readonly boundaries: ReadonlyMap<string, number>;
  readonly retriesNeeded: number;
  readonly verification: Verification;
  readonly figures: readonly string[];
}

/** For each delivery of the script and each step boundary it crosses: a fresh PR, a crash there, the retry. */
export async function crashSweep(
  kinds: readonly ChannelKind[] = ['text', 'forum'],
  length: 'full' | 'short' = 'full',
): Promise<CrashSweepResult> {
  const rig = await startReliabilityRig({ users: userMap(4000) });
  try {
    const histories: PrHistory[] = [];
    const boundaries = new Map<string, number>();
    const problems: string[] = [];
    let runs = 0;
    let crashes = 0;
    let retriesNeeded = 0;
    const crashOf = new Map<string, string>();
    for (const kind of kinds) {
      const repo = REPOS.find((r) => r.channel === kind) as Repo;
      const steps = crashScript(0, repo, length).deliveries.length;
      for (let d = 0; d < steps; d++) {
        for (let n = 1; n < 50; n++) {
          const history = crashScript(histories.length + 1, repo, length);
          runs += 1;
          let crashedHere = false;
          for (const [i, delivery] of history.deliveries.entries()) {
            const envelope = rig.envelope(delivery.event, delivery.payload, delivery.id);
            if (i !== d) {
              await processEnvelope(envelope, rig.container());
              continue;
            }
            const { deps, crashed } = crashing(rig, n);
            const first = await processEnvelope(envelope, deps).then(
              () => undefined,
              (err: unknown) => err,
            );
            const label = crashed();
            if (label === undefined) {
              if (first !== undefined)
                problems.push(`run ${runs}: delivery ${d} failed without a crash: ${String(first)}`);
              continue;
            }
            crashedHere = true;
            crashes += 1;
            crashOf.set(
              `${history.repo.fullName}#${history.number}`,
              `crash ${label} of ${delivery.event}.${delivery.action} (#${d})`,
            );
            boundaries.set(label, (boundaries.get(label) ?? 0) + 1);
            retriesNeeded += await retryAfterLease(
              rig,
              envelope,
              problems,
              `${kind} delivery ${d} (${delivery.event}.${delivery.action}) ${label}`,
            );
          }
          histories.push(history);
          if (!crashedHere) break;
        }
      }
    }
    const verified = verifyDiscord(rig.discord.emu, rig.channelOf, histories);
    const annotate = (p: string) => {
      const key = p.split(':')[0] ?? '';
      return crashOf.has(key) ? `${p} [${crashOf.get(key)}]` : p;
    };
    const verification = { ...verified, problems: verified.problems.map(annotate) };
    const list = [...boundaries].map(([k, v]) => `${k} ×${v}`).join(', ');
    return {
      runs,
      crashes,
      boundaries,
      retriesNeeded,
      verification: { ...verification, problems: [...problems, ...verification.problems] },
      figures: [
        `crash sweep: ${runs} runs of a ${crashScript(0, REPOS[0] as Repo, length).deliveries.length}-delivery PR life (${kinds.join(' + ')}), ${crashes} crashes: ${list}`,
        `retries needed beyond the first (attempt 2, after the ${VISIBILITY_MS / 1000} s lease): ${retriesNeeded}`,
        ...describeVerification(verification, histories.length),
      ],
    };
  } finally {
    await rig.close();
  }
}

/** The queue's retry of a crashed attempt: the lease expires with the visibility timeout, then attempt 2 (3, ...). */
async function retryAfterLease(
  rig: ReliabilityRig,
  envelope: Envelope,
  problems: string[],
  what: string,
): Promise<number> {
  for (let attempt = 2; attempt <= 5; attempt++) {
    rig.discord.clock.advance(VISIBILITY_MS + 1_000);
    try {
      const result = await processEnvelope(envelope, rig.container(), { attempt });
      if (result.status === 'duplicate') problems.push(`${what}: the retry found the delivery already done`);
      return attempt - 2;
    } catch (err) {
      problems.push(`${what}: attempt ${attempt} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return 4;
}

// ---------------------------------------------------------------- Discord outage

export interface OutageOptions {
  readonly seed: number;
  readonly prs: number;
  readonly deliveries: number;
  /** @default 30 min */
  readonly outageMs?: number;
  /** Deliveries during the outage arrive within this long after it starts (so each reaches 5 receives before it ends). @default 5 min */
  readonly arrivalWindowMs?: number;
}

export interface OutageResult {
  readonly beforeOutage: number;
  readonly duringOutage: number;
  readonly deadLettered: number;
  /** Deliveries of the outage that needed no Discord request (ignored by policy) and so succeeded. */
  readonly ignoredDuringOutage: number;
  /** Deliveries of the outage that reported an effect done while Discord was down (must be 0). */
  readonly doneDuringOutage: number;
  readonly deadLetteredAt5Receives: number;
  readonly stillQueuedAtEnd: number;
  readonly okDuringOutage: number;
  readonly requests: RequestFigures;
  readonly lost: number;
  readonly verification: Verification;
  readonly figures: readonly string[];
}

/** Discord answers nothing but 5xx or dropped connections for `outageMs` of simulated time (clocks move together). */
export async function runOutage(o: OutageOptions): Promise<OutageResult> {
  const outageMs = o.outageMs ?? 30 * 60_000;
  const windowMs = o.arrivalWindowMs ?? 5 * 60_000;
  const scenario = generateScenario({
    seed: o.seed,
    prs: o.prs,
    deliveries: o.deliveries,
    duplicateRate: 0,
    replayRate: 0,
  });
  const rig = await startReliabilityRig({ users: userMap(o.prs) });
  try {
    const clock = rig.discord.clock;
    const sim = new FifoSimulator({ clock, container: () => rig.container(), visibilityTimeoutMs: VISIBILITY_MS });
    const send = (d: GithubDelivery) => () => {
      sim.send(rig.envelope(d.event, d.payload, d.id));
    };
    // The first third of each PR's life happens before the outage, the rest during its first minutes (in order).
    const before = scenario.prs.flatMap((p) => p.deliveries.slice(0, Math.ceil(p.deliveries.length / 3)));
    const beforeIds = new Set(before.map((d) => d.id));
    const during = scenario.deliveries.filter((d) => !beforeIds.has(d.id));
    const t0 = clock.read();
    await sim.run({ arrivals: before.map((d, i) => ({ at: t0 + i * 1_000, send: send(d) })) });

    const down = clock.read() + 60_000;
    clock.advance(down - clock.read());
    rig.discord.emu.faults.push({ kind: 'drop', times: 10 });
    rig.discord.emu.setChaos({ seed: o.seed, rate5xx: 1 });
    const logStart = rig.discord.emu.state.requests().length;
    await sim.run({
      arrivals: during.map((d, i) => ({ at: down + Math.floor((i * windowMs) / during.length), send: send(d) })),
      until: down + outageMs,
    });
    const outageLog = rig.discord.emu.state.requests().slice(logStart);
    const requests = requestFigures(outageLog);
    const okDuringOutage = outageLog.filter((r) => r.status >= 200 && r.status < 300).length;
    const deadLettered = sim.dlq.length;
    const deadLetteredAt5Receives = sim.dlq.filter((m) => m.receiveCount === 5).length;
    const stillQueuedAtEnd = sim.pending.length;
    const outcomeDuring = (status: string) =>
      during.filter((d) => sim.outcomes.get(d.id)?.includes(status as 'done')).length;
    const ignoredDuringOutage = outcomeDuring('ignored');
    const doneDuringOutage = outcomeDuring('done');

    rig.discord.emu.faults.clear();
    rig.discord.emu.setChaos(null);
    sim.redrive();
    await sim.run();
    const lost = scenario.deliveries.filter((d) => !sim.outcomes.has(d.id)).length;
    const verification = verifyDiscord(rig.discord.emu, rig.channelOf, scenario.prs);
    return {
      beforeOutage: before.length,
      duringOutage: during.length,
      deadLettered,
      ignoredDuringOutage,
      doneDuringOutage,
      deadLetteredAt5Receives,
      stillQueuedAtEnd,
      okDuringOutage,
      requests,
      lost,
      verification,
      figures: [
        `outage (seed ${o.seed}): ${o.prs} PRs, ${before.length} deliveries before, ${during.length} in the first ${windowMs / 60_000} min of a ${outageMs / 60_000}-min Discord outage`,
        `during the outage: ${requests.total} Discord requests (${requests.status5xx} × 5xx, ${requests.dropped} dropped, ${okDuringOutage} ok); ${deadLettered} dead-lettered (${deadLetteredAt5Receives} after exactly 5 receives), ${ignoredDuringOutage} ignored by policy (no Discord call needed), ${doneDuringOutage} done, ${stillQueuedAtEnd} still queued when Discord came back`,
        `after the redrive: lost ${lost}`,
        ...describeVerification(verification, o.prs),
      ],
    };
  } finally {
    await rig.close();
  }
}
