/**
 * Injectable faults: scripted (`emu.faults.push(...)`) for tests, and a seeded random mode for chaos runs.
 */

export type FaultKind = '429' | '500' | '500-after-apply' | 'delay' | 'drop';

export interface Fault {
  /** Which requests it hits; an empty match hits every request. */
  readonly match?: {
    /** HTTP method, case-insensitive. */
    readonly method?: string;
    /** Tested against the path after `/api/v10`, e.g. `/channels/123/messages`. */
    readonly route?: RegExp;
  };
  /** How many requests it hits. @default 1 */
  readonly times?: number;
  /**
   * `429`: rate limited (bucket exhausted); `500`: fails without applying; `500-after-apply`: applies the
   * write, then answers 500; `delay`: answers normally after `delayMs`; `drop`: closes the socket, no answer.
   */
  readonly kind: FaultKind;
  /** 429 only. @default 1000 */
  readonly retryAfterMs?: number;
  /** `delay` only. @default 1000 */
  readonly delayMs?: number;
}

export interface ChaosOptions {
  readonly seed: number;
  /** Share of requests answered 500 without applying. @default 0 */
  readonly rate5xx?: number;
  /** Share of writes applied then answered 500. @default 0 */
  readonly rate5xxAfterApply?: number;
  /** Share of requests answered 429. @default 0 */
  readonly rate429?: number;
  /** Share of requests delayed by `delayMs`. @default 0 */
  readonly rateDelay?: number;
  /** @default 50 */
  readonly delayMs?: number;
  /** @default 1000 */
  readonly retryAfterMs?: number;
}

/** Deterministic PRNG (mulberry32): the same seed replays the same chaos. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface ArmedFault {
  readonly fault: Fault;
  remaining: number;
}

/** Scripted faults, consumed in order: the first armed fault matching a request fires. */
export class FaultQueue {
  readonly #armed: ArmedFault[] = [];

  push(...faults: Fault[]): number {
    for (const fault of faults) this.#armed.push({ fault, remaining: fault.times ?? 1 });
    return this.#armed.length;
  }

  clear(): void {
    this.#armed.length = 0;
  }

  /** Faults that still have hits left. */
  get pending(): readonly Fault[] {
    return this.#armed.filter((a) => a.remaining > 0).map((a) => a.fault);
  }

  /** @internal The fault for this request, if any (consumes one hit). */
  take(method: string, path: string): Fault | undefined {
    const armed = this.#armed.find(
      (a) =>
        a.remaining > 0 &&
        (a.fault.match?.method === undefined || a.fault.match.method.toUpperCase() === method) &&
        (a.fault.match?.route === undefined || a.fault.match.route.test(path)),
    );
    if (!armed) return undefined;
    armed.remaining -= 1;
    const index = this.#armed.indexOf(armed);
    if (armed.remaining <= 0) this.#armed.splice(index, 1);
    return armed.fault;
  }
}

/** Random faults from a seeded generator; writes only for `500-after-apply`. */
export class Chaos {
  readonly #random: () => number;
  constructor(readonly options: ChaosOptions) {
    this.#random = seededRandom(options.seed);
  }

  pick(method: string): Fault | undefined {
    const roll = this.#random();
    const o = this.options;
    const retryAfterMs = o.retryAfterMs ?? 1000;
    let edge = o.rate5xx ?? 0;
    if (roll < edge) return { kind: '500' };
    edge += method === 'GET' ? 0 : (o.rate5xxAfterApply ?? 0);
    if (roll < edge) return { kind: '500-after-apply' };
    edge += o.rate429 ?? 0;
    if (roll < edge) return { kind: '429', retryAfterMs };
    edge += o.rateDelay ?? 0;
    if (roll < edge) return { kind: 'delay', delayMs: o.delayMs ?? 50 };
    return undefined;
  }
}
