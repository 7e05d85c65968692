/**
 * Pure classification of a verified, parsed GitHub delivery: is it one the bridge handles, and
 * which repository, pull request and FIFO group does it belong to. Reads only the fields it needs
 * and checks each of them (the payload is otherwise opaque here).
 */
import type { Envelope } from './types';

export type Classification =
  | {
      readonly handled: true;
      readonly action?: string;
      readonly repositoryId: number;
      /** `owner/name`. */
      readonly repository: string;
      readonly prNumber?: number;
      /** `<repository.id>#<pr number>`, or `<repository.id>` when the event has no PR. */
      readonly groupId: string;
    }
  | { readonly handled: false; readonly reason: string };

/** The payload lacks a field a handled event must carry (answer 400). The message is one sentence. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

/** Events the bridge turns into Discord activity; everything else is acknowledged and ignored. */
export const HANDLED_EVENTS = [
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'issue_comment',
  'check_suite',
  'workflow_run',
] as const;
export type HandledEvent = (typeof HANDLED_EVENTS)[number];

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHandled(event: string): event is HandledEvent {
  return (HANDLED_EVENTS as readonly string[]).includes(event);
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

function prNumberOf(container: unknown, field: string): number {
  const number = isObject(container) ? positiveInt(container.number) : undefined;
  if (number === undefined) throw new InvalidPayloadError(`The payload has no valid ${field}.number.`);
  return number;
}

/** PR number of the event, or the reason it is not handled when the event is not about a PR. */
function pullRequestOf(event: HandledEvent, payload: Json): number | { readonly reason: string } {
  switch (event) {
    case 'pull_request':
    case 'pull_request_review':
    case 'pull_request_review_comment':
      return prNumberOf(payload.pull_request, 'pull_request');
    case 'issue_comment': {
      const issue = payload.issue;
      if (!isObject(issue)) throw new InvalidPayloadError('The payload has no issue object.');
      if (!isObject(issue.pull_request)) return { reason: 'issue_comment on a plain issue (not a pull request)' };
      return prNumberOf(issue, 'issue');
    }
    case 'check_suite':
    case 'workflow_run': {
      const run = payload[event];
      if (!isObject(run)) throw new InvalidPayloadError(`The payload has no ${event} object.`);
      const prs = run.pull_requests;
      if (!Array.isArray(prs) || prs.length === 0) return { reason: `${event} not associated with a pull request` };
      return prNumberOf(prs[0], `${event}.pull_requests[0]`);
    }
  }
}

/**
 * Classify a delivery. Throws {@link InvalidPayloadError} when a handled event lacks
 * `repository.id`, `repository.full_name` or its PR number.
 */
export function classify(event: string, payload: unknown): Classification {
  if (!isHandled(event)) return { handled: false, reason: `${event} events are not handled` };
  if (!isObject(payload)) throw new InvalidPayloadError('The payload is not a JSON object.');
  const repo = payload.repository;
  const repositoryId = isObject(repo) ? positiveInt(repo.id) : undefined;
  if (!isObject(repo) || repositoryId === undefined) {
    throw new InvalidPayloadError('The payload has no valid repository.id.');
  }
  const repository = repo.full_name;
  if (typeof repository !== 'string' || repository.length === 0) {
    throw new InvalidPayloadError('The payload has no valid repository.full_name.');
  }
  const pr = pullRequestOf(event, payload);
  if (typeof pr !== 'number') return { handled: false, reason: pr.reason };
  const action = typeof payload.action === 'string' && payload.action.length > 0 ? payload.action : undefined;
  return {
    handled: true,
    ...(action === undefined ? {} : { action }),
    repositoryId,
    repository,
    prNumber: pr,
    groupId: `${repositoryId}#${pr}`,
  };
}

/** The queue envelope of a handled delivery (the ingest's output; tests and tools build theirs the same way). */
export function toEnvelope(
  c: Extract<Classification, { handled: true }>,
  delivery: { readonly deliveryId: string; readonly event: string; readonly body: string; readonly receivedAt: number },
): Envelope {
  return {
    v: 1,
    deliveryId: delivery.deliveryId,
    event: delivery.event,
    ...(c.action === undefined ? {} : { action: c.action }),
    repositoryId: c.repositoryId,
    repository: c.repository,
    ...(c.prNumber === undefined ? {} : { prNumber: c.prNumber }),
    groupId: c.groupId,
    receivedAt: delivery.receivedAt,
    body: delivery.body,
  };
}
