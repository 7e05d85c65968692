/**
 * An at-least-once delivery simulator standing in for SNS FIFO → SQS FIFO (+ DLQ) → the worker Lambda.
 *
 * - FIFO per group: while a message of a group is in flight, nothing else of that group is received; a group's
 *   messages are received in order, several per batch; groups run in parallel.
 * - Batches of ≤ `batchSize` messages, up to `concurrency` invocations at once, each on a Lambda container
 *   (fresh deps) that handles one invocation at a time. Records are processed in order; after a failure the
 *   later records of the same group in the batch fail unprocessed (Powertools `skipGroupOnError`), and like
 *   every received message they used up a receive.
 * - A failed message becomes visible again after the visibility timeout; its receive count grows with every
 *   receive; after `maxReceiveCount` receives it moves to the DLQ (whatever the error: SQS does not look at it).
 * - Transport deduplication: a message whose deduplication id was accepted less than 5 minutes ago is dropped.
 * - At-least-once: a message flagged `concurrentDuplicate` is handed to two consumers at once on its first
 *   receive (the only way two attempts of one PR group overlap; both count as receives).
 *
 * Time is the emulator's manual clock: it stands still while an invocation runs and jumps to the next arrival
 * or visibility expiry between them, so leases, nonce windows and rename budgets see simulated time.
 */
import { DiscordError } from '../../lambdas/core/ports';
import { processEnvelope, type WorkerDeps } from '../../lambdas/core/process';
import type { Envelope } from '../../lambdas/core/types';

export interface SimClock {
  read(): number;
  advance(ms: number): void;
}

export interface SimMessage {
  readonly seq: number;
  readonly envelope: Envelope;
  readonly sentAt: number;
  receiveCount: number;
  visibleAt: number;
  inFlight: boolean;
  concurrentDuplicate: boolean;
  lastError?: string;
}

export interface Arrival {
  /** Epoch ms on the simulated clock. */
  readonly at: number;
  readonly send: () => void;
}

export interface SimulatorOptions {
  readonly clock: SimClock;
  /** Builds the deps of a new Lambda container. */
  readonly container: () => WorkerDeps;
  /** @default 180000 */
  readonly visibilityTimeoutMs?: number;
  /** @default 5 */
  readonly maxReceiveCount?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** Concurrent invocations. @default 5 */
  readonly concurrency?: number;
  /** @default 300000 */
  readonly dedupeWindowMs?: number;
  /** Simulated time between two rounds of invocations. @default 1000 */
  readonly tickMs?: number;
}

export interface SimStats {
  sent: number;
  deduplicated: number;
  receives: number;
  invocations: number;
  attempts: number;
  /** Records failed unprocessed behind a failed record of their group. */
  skipped: number;
  concurrentPairs: number;
  movedToDlq: number;
  redriven: number;
  /** Failed attempts by cause (`DiscordError:retry:500`, `RetryableError` for a busy claim, ...). */
  readonly failures: Map<string, number>;
  /** Most attempts of one group running at the same moment (2 only for a concurrent duplicate). */
  maxGroupOverlap: number;
  /** Overlaps of different messages of one group (must stay 0: FIFO serialises a group). */
  fifoViolations: number;
}

export type Outcome = 'done' | 'duplicate' | 'ignored';

export class FifoSimulator {
  readonly dlq: SimMessage[] = [];
  /** Delivery id → outcome of each successful attempt. */
  readonly outcomes = new Map<string, Outcome[]>();
  /** Delivery id → cause of each failed attempt, in order. */
  readonly failuresOf = new Map<string, string[]>();
  readonly stats: SimStats = {
    sent: 0,
    deduplicated: 0,
    receives: 0,
    invocations: 0,
    attempts: 0,
    skipped: 0,
    concurrentPairs: 0,
    movedToDlq: 0,
    redriven: 0,
    failures: new Map(),
    maxGroupOverlap: 0,
    fifoViolations: 0,
  };
  private readonly queue: SimMessage[] = [];
  private readonly accepted = new Map<string, number>();
  private readonly idle: WorkerDeps[] = [];
  private readonly running = new Map<string, number[]>();
  private seq = 0;
  private readonly visibility: number;
  private readonly maxReceives: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly dedupeWindow: number;
  private readonly tick: number;

  constructor(private readonly options: SimulatorOptions) {
    this.visibility = options.visibilityTimeoutMs ?? 180_000;
    this.maxReceives = options.maxReceiveCount ?? 5;
    this.batchSize = options.batchSize ?? 10;
    this.concurrency = options.concurrency ?? 5;
    this.dedupeWindow = options.dedupeWindowMs ?? 300_000;
    this.tick = options.tickMs ?? 1_000;
  }

  /** Messages still in the queue (not deleted, not dead-lettered). */
  get pending(): readonly SimMessage[] {
    return this.queue;
  }

  /** Publishes a message (deduplication id = the delivery id, group = the PR). */
  send(envelope: Envelope, options: { readonly concurrentDuplicate?: boolean } = {}): 'queued' | 'deduplicated' {
    const now = this.options.clock.read();
    const last = this.accepted.get(envelope.deliveryId);
    if (last !== undefined && now - last < this.dedupeWindow) {
      this.stats.deduplicated += 1;
      return 'deduplicated';
    }
    this.accepted.set(envelope.deliveryId, now);
    this.stats.sent += 1;
    this.queue.push({
      seq: this.seq++,
      envelope,
      sentAt: now,
      receiveCount: 0,
      visibleAt: now,
      inFlight: false,
      concurrentDuplicate: options.concurrentDuplicate ?? false,
    });
    return 'queued';
  }

  /** Moves every dead letter back to the end of its group with zero receives (the `redrive` command). */
  redrive(): number {
    const now = this.options.clock.read();
    const moved = this.dlq.splice(0, this.dlq.length);
    for (const m of moved) {
      this.queue.push({
        ...m,
        seq: this.seq++,
        receiveCount: 0,
        visibleAt: now,
        inFlight: false,
        concurrentDuplicate: false,
      });
    }
    this.stats.redriven += moved.length;
    return moved.length;
  }

  /**
   * Runs invocations until the arrivals are sent and the queue is empty, or until `until` (simulated epoch ms).
   * Bounded by `maxRounds`.
   */
  async run(
    options: { readonly arrivals?: readonly Arrival[]; readonly until?: number; readonly maxRounds?: number } = {},
  ): Promise<void> {
    const arrivals = [...(options.arrivals ?? [])].sort((a, b) => a.at - b.at);
    const clock = this.options.clock;
    const maxRounds = options.maxRounds ?? 200_000;
    let next = 0;
    for (let round = 0; round < maxRounds; round++) {
      const now = clock.read();
      if (options.until !== undefined && now >= options.until) return;
      while (next < arrivals.length && (arrivals[next]?.at ?? Number.POSITIVE_INFINITY) <= now)
        arrivals[next++]?.send();
      const batches = this.receive(now);
      if (batches.length === 0) {
        const wake = Math.min(arrivals[next]?.at ?? Number.POSITIVE_INFINITY, this.nextVisible());
        if (wake === Number.POSITIVE_INFINITY) {
          if (options.until !== undefined) clock.advance(options.until - now);
          return;
        }
        const target = options.until === undefined ? wake : Math.min(wake, options.until);
        clock.advance(Math.max(1, target - now));
        continue;
      }
      await Promise.all(batches.map((b) => this.invoke(b)));
      clock.advance(this.tick);
    }
    throw new Error(`simulator: not idle after ${maxRounds} rounds (${this.queue.length} messages left)`);
  }

  /** Each group's messages in order. */
  private groups(): Map<string, SimMessage[]> {
    const groups = new Map<string, SimMessage[]>();
    for (const m of this.queue) {
      const list = groups.get(m.envelope.groupId) ?? [];
      list.push(m);
      groups.set(m.envelope.groupId, list);
    }
    return groups;
  }

  /** When the next group head becomes visible. */
  private nextVisible(): number {
    const heads = [...this.groups().values()].flatMap((list) => (list.some((m) => m.inFlight) ? [] : [list[0]]));
    return Math.min(...heads.map((m) => m?.visibleAt ?? Number.POSITIVE_INFINITY));
  }

  /**
   * What SQS hands out now: per group, the visible head and the visible messages right behind it, never
   * a group split over two batches (its messages stay in order and one consumer at a time).
   */
  private receive(now: number): SimMessage[][] {
    const batches: SimMessage[][] = [];
    let batch: SimMessage[] = [];
    for (const list of this.groups().values()) {
      if (list.some((m) => m.inFlight)) continue;
      const run: SimMessage[] = [];
      for (const m of list) {
        if (m.visibleAt > now) break;
        run.push(m);
      }
      if (run.length === 0) continue;
      if (batch.length >= this.batchSize) {
        batches.push(batch);
        batch = [];
        if (batches.length >= this.concurrency) break;
      }
      batch.push(...run.slice(0, this.batchSize - batch.length));
    }
    if (batch.length > 0 && batches.length < this.concurrency) batches.push(batch);
    for (const m of batches.flat()) {
      m.inFlight = true;
      m.receiveCount += 1;
      this.stats.receives += 1;
    }
    return batches;
  }

  private take(): WorkerDeps {
    return this.idle.pop() ?? this.options.container();
  }

  /** One Lambda invocation: the worker handler's per-record loop with `skipGroupOnError`. */
  private async invoke(batch: readonly SimMessage[]): Promise<void> {
    this.stats.invocations += 1;
    const deps = this.take();
    const failedGroups = new Set<string>();
    let rateLimited = false;
    try {
      for (const m of batch) {
        if (failedGroups.has(m.envelope.groupId)) {
          this.stats.skipped += 1;
          this.fail(m, 'skipped behind a failed record of its group');
          continue;
        }
        let ok: boolean;
        if (m.concurrentDuplicate) {
          m.concurrentDuplicate = false;
          m.receiveCount += 1;
          this.stats.receives += 1;
          this.stats.concurrentPairs += 1;
          const other = this.take();
          const results = await Promise.all([
            this.attempt(deps, m, m.receiveCount - 1),
            this.attempt(other, m, m.receiveCount),
          ]);
          if (results[1] === 'rateLimited') rateLimited = true;
          else this.idle.push(other);
          if (results[0] === 'rateLimited') rateLimited = true;
          ok = results.some((r) => r === 'ok');
        } else {
          const result = await this.attempt(deps, m, m.receiveCount);
          if (result === 'rateLimited') rateLimited = true;
          ok = result === 'ok';
        }
        if (ok) this.delete(m);
        else {
          failedGroups.add(m.envelope.groupId);
          this.fail(m, m.lastError ?? 'failed');
        }
      }
    } finally {
      // The REST client keeps a 429's bucket closed for `retry-after` of real time, which the simulated clock
      // does not move: a container that was rate limited is retired, as if the wait had passed before its next use.
      if (!rateLimited) this.idle.push(deps);
    }
  }

  private async attempt(deps: WorkerDeps, m: SimMessage, attempt: number): Promise<'ok' | 'failed' | 'rateLimited'> {
    const group = m.envelope.groupId;
    const active = this.running.get(group) ?? [];
    if (active.some((seq) => seq !== m.seq)) this.stats.fifoViolations += 1;
    active.push(m.seq);
    this.running.set(group, active);
    this.stats.maxGroupOverlap = Math.max(this.stats.maxGroupOverlap, active.length);
    this.stats.attempts += 1;
    try {
      const result = await processEnvelope(m.envelope, deps, { attempt });
      const list = this.outcomes.get(m.envelope.deliveryId) ?? [];
      list.push(result.status);
      this.outcomes.set(m.envelope.deliveryId, list);
      return 'ok';
    } catch (err) {
      const cause = describeFailure(err);
      this.stats.failures.set(cause, (this.stats.failures.get(cause) ?? 0) + 1);
      this.failuresOf.set(m.envelope.deliveryId, [...(this.failuresOf.get(m.envelope.deliveryId) ?? []), cause]);
      m.lastError = err instanceof Error ? `${cause}: ${err.message}` : cause;
      return err instanceof DiscordError && err.kind === 'rateLimited' ? 'rateLimited' : 'failed';
    } finally {
      active.splice(active.indexOf(m.seq), 1);
    }
  }

  private delete(m: SimMessage): void {
    const i = this.queue.indexOf(m);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private fail(m: SimMessage, error: string): void {
    m.inFlight = false;
    m.lastError = error;
    if (m.receiveCount >= this.maxReceives) {
      this.delete(m);
      this.dlq.push(m);
      this.stats.movedToDlq += 1;
      return;
    }
    m.visibleAt = this.options.clock.read() + this.visibility;
  }
}

export function describeFailure(err: unknown): string {
  if (err instanceof DiscordError) return `DiscordError:${err.kind}:${err.status}`;
  if (err instanceof Error) return err.name;
  return 'unknown';
}
