/** Error taxonomy of the worker: what the queue should do with a failed delivery. */
import { DiscordError } from './ports';

/** Retrying cannot help (malformed input, a request Discord rejects as invalid): dead-letter it with this message. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  readonly retryable = false;
}

/** Try again later (another attempt holds the delivery, a state write raced, Discord is down or rate limited). */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  readonly retryable = true;
}

/** False when a retry cannot succeed; the local queue then dead-letters at once (SQS still counts receives). */
export function isRetryable(err: unknown): boolean {
  if (err instanceof DiscordError) return err.kind !== 'invalid';
  if (err instanceof Error && 'retryable' in err && err.retryable === false) return false;
  if (err instanceof Error && err.name === 'PayloadError') return false;
  return true;
}
