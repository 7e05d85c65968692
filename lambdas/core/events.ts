/**
 * Typed views of the GitHub payloads the planner reads. Parsed with zod at the boundary: only the fields
 * used are declared, unknown fields pass. A payload missing a field the bridge needs raises {@link PayloadError}
 * (the worker sends it to the DLQ with that message). Values GitHub did not send are left undefined, never invented.
 */
import type { Delivery } from './types';
import * as z from './zod';

/** The payload does not have the shape its event promises. The message is one sentence naming the field. */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

export interface RepositoryView {
  readonly id: number;
  /** `owner/name`. */
  readonly fullName: string;
  readonly name: string;
}

export interface UserView {
  readonly login: string;
  /** `type: "Bot"` or a login ending in `[bot]`. */
  readonly bot: boolean;
}

export interface BranchView {
  readonly ref: string;
  readonly sha?: string;
  /** `owner/name` of the head repository; differs from the base repository for forks (absent when the fork was deleted). */
  readonly repoFullName?: string;
}

/**
 * A pull request as far as the payload tells. `pull_request` payloads carry the whole PR (`complete: true`);
 * `issue_comment` payloads only carry the issue side (`complete: false`: no base/head, maybe no draft/merged);
 * review payloads carry a PR without `merged`/`merged_by` (merged is derived from `merged_at`).
 */
export interface PrView {
  readonly complete: boolean;
  readonly repository: RepositoryView;
  readonly number: number;
  readonly title: string;
  /** html URL of the PR. */
  readonly url: string;
  readonly author: UserView;
  readonly state: 'open' | 'closed';
  readonly draft?: boolean;
  readonly merged?: boolean;
  readonly mergedBy?: string;
  readonly base?: BranchView;
  readonly head?: BranchView;
  /** Description (empty when none). */
  readonly body: string;
  readonly labels: readonly string[];
  /** Pending review requests: user logins and team names (absent on `issue_comment`). */
  readonly requestedReviewers?: { readonly users: readonly string[]; readonly teams: readonly string[] };
  /** Total commits on the PR, when the payload says. */
  readonly commits?: number;
}

export type RequestedReviewer =
  | { readonly kind: 'user'; readonly login: string }
  | { readonly kind: 'team'; readonly name: string };

export interface PullRequestEvent {
  readonly event: 'pull_request';
  readonly action: string;
  readonly sender: UserView;
  readonly pr: PrView;
  readonly changes?: { readonly titleFrom?: string };
  /** `review_requested` / `review_request_removed`. */
  readonly requestedReviewer?: RequestedReviewer;
  /** `labeled` / `unlabeled`. */
  readonly label?: string;
  /** `synchronize`: number of commits pushed, when the payload carries them. */
  readonly pushedCommits?: number;
  readonly after?: string;
}

export interface PullRequestReviewEvent {
  readonly event: 'pull_request_review';
  readonly action: string;
  readonly sender: UserView;
  readonly pr: PrView;
  readonly review: {
    readonly id: number;
    /** Lowercased: `approved`, `changes_requested`, `commented`, `dismissed` (others possible). */
    readonly state: string;
    readonly body: string;
    readonly user: UserView;
    readonly url?: string;
  };
}

export interface ReviewCommentView {
  readonly id: number;
  readonly body: string;
  readonly user: UserView;
  readonly url?: string;
  readonly path: string;
  readonly line?: number;
  readonly startLine?: number;
  readonly diffHunk: string;
  readonly inReplyToId?: number;
  readonly reviewId?: number;
}

export interface PullRequestReviewCommentEvent {
  readonly event: 'pull_request_review_comment';
  readonly action: string;
  readonly sender: UserView;
  readonly pr: PrView;
  readonly comment: ReviewCommentView;
}

export interface IssueCommentEvent {
  readonly event: 'issue_comment';
  readonly action: string;
  readonly sender: UserView;
  /** The PR the comment is on; undefined when the issue is a plain issue. */
  readonly pr?: PrView;
  readonly issueNumber: number;
  readonly comment: { readonly id: number; readonly body: string; readonly user: UserView; readonly url?: string };
}

export type EventView = PullRequestEvent | PullRequestReviewEvent | PullRequestReviewCommentEvent | IssueCommentEvent;

// ---------------------------------------------------------------- schemas

const text = z.pipe(
  z.nullish(z.string()),
  z.transform((v: string | null | undefined) => v ?? ''),
);
const integer = z.number().check(z.int());
const count = z.number().check(z.int(), z.nonnegative());
const nonEmpty = z.string().check(z.minLength(1));

const user = z.object({ login: nonEmpty, type: z.optional(z.string()) });
const optionalUser = z.nullish(user);
const repository = z.object({ id: integer, full_name: nonEmpty, name: nonEmpty });
const label = z.object({ name: z.string() });
const branch = z.object({
  ref: z.string(),
  sha: z.optional(z.string()),
  repo: z.nullish(z.object({ full_name: z.string() })),
});

/** Fields pull requests and issues share. */
const conversation = {
  number: integer,
  html_url: z.string(),
  title: text,
  user: user,
  state: z.enum(['open', 'closed']),
  draft: z.optional(z.boolean()),
  body: text,
  labels: z._default(z.array(label), []),
};

const pullRequest = z.object({
  ...conversation,
  merged: z.nullish(z.boolean()),
  merged_at: z.nullish(z.string()),
  merged_by: optionalUser,
  base: branch,
  head: branch,
  requested_reviewers: z.optional(z.array(z.object({ login: z.optional(z.string()), name: z.optional(z.string()) }))),
  requested_teams: z.optional(z.array(z.object({ name: z.string() }))),
  commits: z.optional(count),
});

const issue = z.object({
  ...conversation,
  pull_request: z.optional(z.object({ html_url: z.optional(z.string()), merged_at: z.nullish(z.string()) })),
});

const base = { action: nonEmpty, sender: user, repository };

const pullRequestPayload = z.object({
  ...base,
  pull_request: pullRequest,
  changes: z.optional(z.object({ title: z.optional(z.object({ from: z.string() })) })),
  requested_reviewer: z.nullish(z.object({ login: z.string() })),
  requested_team: z.nullish(z.object({ name: z.string() })),
  label: z.nullish(label),
  commits: z.optional(z.union([count, z.array(z.unknown())])),
  after: z.optional(z.string()),
});

const reviewPayload = z.object({
  ...base,
  pull_request: pullRequest,
  review: z.object({
    id: integer,
    state: z.pipe(
      z.string(),
      z.transform((s: string) => s.toLowerCase()),
    ),
    body: text,
    user: user,
    html_url: z.optional(z.string()),
  }),
});

const optionalInteger = z.nullish(integer);
const reviewCommentPayload = z.object({
  ...base,
  pull_request: pullRequest,
  comment: z.object({
    id: integer,
    body: text,
    user: user,
    html_url: z.optional(z.string()),
    path: z.string(),
    line: optionalInteger,
    original_line: optionalInteger,
    start_line: optionalInteger,
    original_start_line: optionalInteger,
    diff_hunk: text,
    in_reply_to_id: z.optional(integer),
    pull_request_review_id: optionalInteger,
  }),
});

const issueCommentPayload = z.object({
  ...base,
  issue,
  comment: z.object({ id: integer, body: text, user: user, html_url: z.optional(z.string()) }),
});

// ---------------------------------------------------------------- views

function userView(u: z.infer<typeof user>): UserView {
  return { login: u.login, bot: u.type === 'Bot' || u.login.endsWith('[bot]') };
}

function repositoryView(r: z.infer<typeof repository>): RepositoryView {
  return { id: r.id, fullName: r.full_name, name: r.name };
}

function branchView(b: z.infer<typeof branch>): BranchView {
  return { ref: b.ref, sha: b.sha, repoFullName: b.repo?.full_name };
}

function prView(p: z.infer<typeof pullRequest>, repo: z.infer<typeof repository>, complete: boolean): PrView {
  const merged = p.merged ?? (p.merged_at === undefined ? undefined : p.merged_at !== null);
  const reviewers = p.requested_reviewers;
  return {
    complete,
    repository: repositoryView(repo),
    number: p.number,
    title: p.title,
    url: p.html_url,
    author: userView(p.user),
    state: p.state,
    draft: p.draft,
    merged,
    mergedBy: p.merged_by?.login,
    base: branchView(p.base),
    head: branchView(p.head),
    body: p.body,
    labels: p.labels.map((l) => l.name),
    requestedReviewers:
      reviewers === undefined
        ? undefined
        : {
            users: reviewers.flatMap((r) => (r.login === undefined ? [] : [r.login])),
            teams: [
              ...reviewers.flatMap((r) => (r.login === undefined && r.name !== undefined ? [r.name] : [])),
              ...(p.requested_teams ?? []).map((t) => t.name),
            ],
          },
    commits: p.commits,
  };
}

function issuePrView(i: z.infer<typeof issue>, repo: z.infer<typeof repository>): PrView {
  const mergedAt = i.pull_request?.merged_at;
  return {
    complete: false,
    repository: repositoryView(repo),
    number: i.number,
    title: i.title,
    url: i.pull_request?.html_url ?? i.html_url,
    author: userView(i.user),
    state: i.state,
    draft: i.draft,
    merged: mergedAt === undefined ? undefined : mergedAt !== null,
    body: i.body,
    labels: i.labels.map((l) => l.name),
  };
}

function parseWith<T extends z.ZodMiniType>(schema: T, delivery: Delivery): z.infer<T> {
  const result = schema.safeParse(delivery.payload);
  if (result.success) return result.data;
  const issue0 = result.error.issues[0];
  const path = issue0.path.map(String).join('.') || 'payload';
  const detail = issue0.message.replace(/^Invalid input: /, '');
  throw new PayloadError(`Invalid ${delivery.event} payload (delivery ${delivery.id}): ${path} ${detail}.`);
}

const parsers: Readonly<Record<EventView['event'], (delivery: Delivery) => EventView>> = {
  pull_request(delivery) {
    const p = parseWith(pullRequestPayload, delivery);
    const reviewer: RequestedReviewer | undefined = p.requested_reviewer
      ? { kind: 'user', login: p.requested_reviewer.login }
      : p.requested_team
        ? { kind: 'team', name: p.requested_team.name }
        : undefined;
    return {
      event: 'pull_request',
      action: p.action,
      sender: userView(p.sender),
      pr: prView(p.pull_request, p.repository, true),
      changes: p.changes && { titleFrom: p.changes.title?.from },
      requestedReviewer: reviewer,
      label: p.label?.name,
      pushedCommits: p.commits === undefined ? undefined : Array.isArray(p.commits) ? p.commits.length : p.commits,
      after: p.after,
    };
  },
  pull_request_review(delivery) {
    const p = parseWith(reviewPayload, delivery);
    return {
      event: 'pull_request_review',
      action: p.action,
      sender: userView(p.sender),
      pr: prView(p.pull_request, p.repository, true),
      review: {
        id: p.review.id,
        state: p.review.state,
        body: p.review.body,
        user: userView(p.review.user),
        url: p.review.html_url,
      },
    };
  },
  pull_request_review_comment(delivery) {
    const p = parseWith(reviewCommentPayload, delivery);
    const c = p.comment;
    return {
      event: 'pull_request_review_comment',
      action: p.action,
      sender: userView(p.sender),
      pr: prView(p.pull_request, p.repository, true),
      comment: {
        id: c.id,
        body: c.body,
        user: userView(c.user),
        url: c.html_url,
        path: c.path,
        line: c.line ?? c.original_line ?? undefined,
        startLine: c.start_line ?? c.original_start_line ?? undefined,
        diffHunk: c.diff_hunk,
        inReplyToId: c.in_reply_to_id,
        reviewId: c.pull_request_review_id ?? undefined,
      },
    };
  },
  issue_comment(delivery) {
    const p = parseWith(issueCommentPayload, delivery);
    return {
      event: 'issue_comment',
      action: p.action,
      sender: userView(p.sender),
      pr: p.issue.pull_request === undefined ? undefined : issuePrView(p.issue, p.repository),
      issueNumber: p.issue.number,
      comment: { id: p.comment.id, body: p.comment.body, user: userView(p.comment.user), url: p.comment.html_url },
    };
  },
};

export const PARSED_EVENTS = Object.keys(parsers) as readonly EventView['event'][];

function isParsedEvent(event: string): event is EventView['event'] {
  return Object.hasOwn(parsers, event);
}

/**
 * Typed view of a delivery, or undefined when the bridge does not read this event type.
 * @throws PayloadError when the payload lacks a field the event must carry.
 */
export function parseDelivery(delivery: Delivery): EventView | undefined {
  return isParsedEvent(delivery.event) ? parsers[delivery.event](delivery) : undefined;
}
