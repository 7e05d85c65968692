/**
 * Shared building blocks of the Discord emulator: snowflakes, Discord-shaped errors, JSON helpers.
 */

/** Discord's epoch (2015-01-01T00:00:00.000Z) in epoch milliseconds. */
export const DISCORD_EPOCH = 1_420_070_400_000;

/**
 * Generates Discord snowflakes: `(ms since DISCORD_EPOCH) << 22 | worker << 17 | process << 12 | increment`.
 * Ids are strictly increasing even when the clock stands still (a frozen test clock).
 */
export class SnowflakeGenerator {
  #last = 0n;
  #increment = 0n;

  constructor(private readonly clock: () => number) {}

  next(): string {
    const ms = BigInt(Math.max(0, Math.floor(this.clock()) - DISCORD_EPOCH));
    this.#increment = (this.#increment + 1n) & 0xfffn;
    let id = (ms << 22n) | (1n << 17n) | this.#increment;
    if (id <= this.#last) id = this.#last + 1n;
    this.#last = id;
    return id.toString();
  }
}

/** Epoch milliseconds encoded in a snowflake. */
export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

export function isSnowflake(value: unknown): value is string {
  return typeof value === 'string' && /^\d{15,20}$/.test(value);
}

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep plain-JSON copy (drops `undefined` properties). */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string')
    return value;
  if (Array.isArray(value)) return value.map(toJson);
  if (isObject(value)) {
    const out: Record<string, Json> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toJson(item);
    return out;
  }
  return null;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** One entry of Discord's `errors` tree: `{ code: 'BASE_TYPE_MAX_LENGTH', message: '...' }`. */
export interface FieldError {
  readonly code: string;
  readonly message: string;
}

/** Discord's nested `errors` object; leaves hold `_errors` arrays. */
export interface ErrorTree {
  [key: string]: ErrorTree | FieldError[];
}

export interface RateLimitInfo {
  readonly retryAfterMs: number;
  /** `X-RateLimit-Remaining: 0` (bucket exhausted) rather than a sublimit (e.g. channel renames). */
  readonly bucketExhausted: boolean;
  readonly scope: 'user' | 'shared';
}

/** A Discord API error answer: HTTP status + JSON error code + message (+ form errors, + rate-limit data). */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: ErrorTree,
    readonly rateLimit?: RateLimitInfo,
  ) {
    super(message);
  }
}

export const failures = {
  unknownChannel: () => new ApiFailure(404, 10003, 'Unknown Channel'),
  unknownGuild: () => new ApiFailure(404, 10004, 'Unknown Guild'),
  unknownMessage: () => new ApiFailure(404, 10008, 'Unknown Message'),
  missingAccess: () => new ApiFailure(403, 50001, 'Missing Access'),
  missingPermissions: () => new ApiFailure(403, 50013, 'Missing Permissions'),
  emptyMessage: () => new ApiFailure(400, 50006, 'Cannot send an empty message'),
  wrongChannelType: () => new ApiFailure(400, 50024, 'Cannot execute action on this channel type'),
  forumMessage: () => new ApiFailure(400, 40058, 'Cannot send messages in a forum channel'),
  archivedThread: () => new ApiFailure(400, 50083, 'Thread is archived'),
  threadExists: () => new ApiFailure(400, 160004, 'A thread has already been created for this message'),
  threadLocked: () => new ApiFailure(400, 160005, 'Thread is locked'),
  invalidJson: () => new ApiFailure(400, 50109, 'The request body contains invalid JSON.'),
  rateLimited: (info: RateLimitInfo) => new ApiFailure(429, 0, 'You are being rate limited.', undefined, info),
} as const;

/** Collects form errors the way Discord reports them, then throws one 50035 `Invalid Form Body`. */
export class FormErrors {
  readonly #tree: ErrorTree = {};
  #count = 0;

  add(path: readonly (string | number)[], code: string, message: string): void {
    let node: ErrorTree = this.#tree;
    for (const part of path) {
      const key = String(part);
      const next = node[key];
      if (next === undefined || Array.isArray(next)) {
        const created: ErrorTree = {};
        node[key] = created;
        node = created;
      } else {
        node = next;
      }
    }
    const leaf = node['_errors'];
    if (Array.isArray(leaf)) leaf.push({ code, message });
    else node['_errors'] = [{ code, message }];
    this.#count += 1;
  }

  get count(): number {
    return this.#count;
  }

  throwIfAny(): void {
    if (this.#count > 0) throw new ApiFailure(400, 50035, 'Invalid Form Body', this.#tree);
  }
}

export const formCodes = {
  maxLength: (max: number) => ({ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` }),
  badLength: (min: number, max: number) => ({
    code: 'BASE_TYPE_BAD_LENGTH',
    message: `Must be between ${min} and ${max} in length.`,
  }),
  required: () => ({ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }),
  string: () => ({ code: 'BASE_TYPE_STRING', message: 'Must be a string.' }),
  boolean: () => ({ code: 'BASE_TYPE_BOOLEAN', message: 'Must be either true or false.' }),
  array: () => ({ code: 'BASE_TYPE_LIST', message: 'Must be an array.' }),
  object: () => ({ code: 'DICT_TYPE_CONVERT', message: 'Only dictionaries may be used in a DictType' }),
  snowflake: () => ({ code: 'NUMBER_TYPE_COERCE', message: 'Value is not snowflake.' }),
  choice: (choices: readonly (string | number)[]) => ({
    code: 'BASE_TYPE_CHOICES',
    message: `Value must be one of {${choices.join(', ')}}.`,
  }),
} as const;

export function addFormError(
  errors: FormErrors,
  path: readonly (string | number)[],
  err: { readonly code: string; readonly message: string },
): void {
  errors.add(path, err.code, err.message);
}
