/**
 * Sample events for the page's "send a sample event" buttons: the story of one pull request
 * (Codertocat/Hello-World #2) from the recorded fixtures in `test/fixtures/deliveries/` and, for the
 * events no fixture covers, from `@octokit/webhooks-examples`. Each send gets a fresh delivery id (and fresh
 * comment/review ids, so every click shows up) and is signed with the local webhook secret; the server
 * POSTs it to its own `/webhooks/github`, through the same verification as GitHub's deliveries.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { sign } from '../lambdas/core/signature';

const FIXTURES_DIR = join(__dirname, '..', 'test', 'fixtures', 'deliveries');

/** Where the sample PR lives: the text channel (a public thread) or the forum channel (a post with tags). */
export type SampleTarget = 'text' | 'forum';

/** The repository the forum samples are rewritten to (routed to the forum channel in preview). */
export const FORUM_SAMPLE_REPO = { id: 186853003, fullName: 'Codertocat/Forum-Demo', name: 'Forum-Demo' } as const;

type Source = { readonly fixture: string } | { readonly example: { readonly event: string; readonly action: string } };

export interface Sample {
  readonly name: string;
  readonly label: string;
  readonly event: string;
  readonly source: Source;
  /** Payload fields given a fresh id on every send (`comment`, `review`). */
  readonly freshIds: readonly string[];
}

export const SAMPLES: readonly Sample[] = [
  {
    name: 'opened',
    label: 'Open a PR',
    event: 'pull_request',
    source: { example: { event: 'pull_request', action: 'opened' } },
    freshIds: [],
  },
  {
    name: 'comment',
    label: 'Comment',
    event: 'issue_comment',
    source: { fixture: 'issue_comment.created.pull_request.json' },
    freshIds: ['comment'],
  },
  {
    name: 'review-comment',
    label: 'Review comment',
    event: 'pull_request_review_comment',
    source: { fixture: 'pull_request_review_comment.created.inline.json' },
    freshIds: ['comment'],
  },
  {
    name: 'approve',
    label: 'Approve',
    event: 'pull_request_review',
    source: { fixture: 'pull_request_review.submitted.approved.json' },
    freshIds: ['review'],
  },
  {
    name: 'request-changes',
    label: 'Request changes',
    event: 'pull_request_review',
    source: { fixture: 'pull_request_review.submitted.changes_requested.json' },
    freshIds: ['review'],
  },
  {
    name: 'rename',
    label: 'Change the title',
    event: 'pull_request',
    source: { fixture: 'pull_request.edited.title.json' },
    freshIds: [],
  },
  {
    name: 'merged',
    label: 'Merge',
    event: 'pull_request',
    source: { fixture: 'pull_request.closed.merged.json' },
    freshIds: [],
  },
  {
    name: 'reopened',
    label: 'Reopen',
    event: 'pull_request',
    source: { example: { event: 'pull_request', action: 'reopened' } },
    freshIds: [],
  },
];

const fixtureSchema = z.object({
  headers: z.record(z.string(), z.string()),
  body: z.union([z.string(), z.record(z.string(), z.unknown())]),
});

/** A recorded delivery file: `{ headers, body }` (body = the raw text; an object is accepted too). */
export function readDeliveryFile(path: string): { headers: Record<string, string>; body: string } {
  const parsed = fixtureSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const headers = Object.fromEntries(Object.entries(parsed.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { headers, body: typeof parsed.body === 'string' ? parsed.body : JSON.stringify(parsed.body) };
}

const examplesSchema = z.array(z.object({ name: z.string(), examples: z.array(z.record(z.string(), z.unknown())) }));
let examples: z.infer<typeof examplesSchema> | undefined;

function example(event: string, action: string): Record<string, unknown> {
  const index = require.resolve('@octokit/webhooks-examples/api.github.com/index.json');
  examples ??= examplesSchema.parse(JSON.parse(readFileSync(index, 'utf8')));
  const found = examples.find((e) => e.name === event)?.examples.find((e) => e['action'] === action);
  if (found === undefined) throw new Error(`@octokit/webhooks-examples has no ${event}.${action} example.`);
  return found;
}

function payloadOf(source: Source): Record<string, unknown> {
  if ('example' in source) return structuredClone(example(source.example.event, source.example.action));
  const { fixture } = source;
  const opened = join(FIXTURES_DIR, fixture);
  const raw: unknown = JSON.parse(readDeliveryFile(opened).body);
  if (!isRecord(raw)) throw new Error(`Fixture ${fixture} is not a JSON object.`);
  return raw;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

let counter = 0;
function freshId(): number {
  counter = (counter + 1) % 1000;
  return Date.now() * 1000 + counter;
}

export interface SampleRequest {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly deliveryId: string;
}

/** A signed request for sample `name`, as GitHub would send it. */
export function sampleRequest(name: string, secret: string, target: SampleTarget = 'text'): SampleRequest {
  const sample = SAMPLES.find((s) => s.name === name);
  if (sample === undefined) throw new Error(`Unknown sample ${name}.`);
  const payload = payloadOf(sample.source);
  for (const field of sample.freshIds) {
    const value = payload[field];
    if (isRecord(value)) payload[field] = { ...value, id: freshId() };
  }
  if (target === 'forum' && isRecord(payload['repository'])) {
    payload['repository'] = {
      ...payload['repository'],
      id: FORUM_SAMPLE_REPO.id,
      name: FORUM_SAMPLE_REPO.name,
      full_name: FORUM_SAMPLE_REPO.fullName,
    };
  }
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const deliveryId = randomUUID();
  return {
    deliveryId,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/local-sample',
      'x-github-event': sample.event,
      'x-github-delivery': deliveryId,
      'x-github-hook-id': 'local-sample',
      'x-hub-signature-256': sign(secret, body),
    },
  };
}
