/**
 * GitHub-realistic histories of pull requests, built from recorded payloads (`test/fixtures/deliveries/` and
 * `@octokit/webhooks-examples`), with what each delivery must leave on Discord according to the design (§2).
 *
 * Expectations come from what GitHub did, never from what the bridge produced: every actor has a unique login
 * (`g<pr>e<n>`) and every title a unique token (`t<pr>v<n>`), so each expected Discord message is recognised by
 * a marker only it contains.
 */
import { seededRandom } from '../../local/discord-emulator/faults';
import { fixturePayload, prPayload, user } from '../helpers/payloads';

export type Random = () => number;
export const seeded = (seed: number): Random => seededRandom(seed);

export type PrStatus = 'open' | 'draft' | 'merged' | 'closed';
export type ReviewVerdict = 'approved' | 'changes_requested' | 'none';
export type ChannelKind = 'text' | 'forum';

export interface Repo {
  readonly id: number;
  readonly fullName: string;
  readonly channel: ChannelKind;
}

export const REPOS: readonly Repo[] = [
  { id: 700000001, fullName: 'acme/web', channel: 'text' },
  { id: 700000002, fullName: 'acme/api', channel: 'forum' },
];

/** A message the delivery must add to the PR's thread. */
export interface ExpectedMessage {
  /** Text only this message holds: the actor's unique login, or the new title's token. */
  readonly marker: string;
  /** It must be a Discord reply to the message carrying this marker. */
  readonly replyTo?: string;
}

export interface GithubDelivery {
  /** X-GitHub-Delivery. */
  readonly id: string;
  readonly event: string;
  readonly action: string;
  readonly payload: unknown;
  /** When GitHub sent it, in ms after the scenario start. */
  readonly at: number;
  readonly prIndex: number;
  /** Position in its PR's history (GitHub's order). */
  readonly seq: number;
  readonly expect?: ExpectedMessage;
}

export interface PrFinal {
  readonly title: string;
  readonly status: PrStatus;
  readonly review: ReviewVerdict;
}

export interface PrHistory {
  readonly index: number;
  readonly repo: Repo;
  readonly number: number;
  readonly url: string;
  readonly deliveries: readonly GithubDelivery[];
  readonly final: PrFinal;
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (typeof value === 'object' && value !== null ? (value as Obj) : {});
const clone = <T>(value: T): T => structuredClone(value);

/** A seeded UUID v4-shaped delivery id. */
export function deliveryIdFrom(random: Random): string {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-8${hex(3)}-${hex(12)}`;
}

const BASE_REVIEW = fixturePayload('pull_request_review.submitted.approved');
const BASE_REVIEW_COMMENT = fixturePayload('pull_request_review_comment.created.inline');
const BASE_REPLY = fixturePayload('pull_request_review_comment.created.reply');
const BASE_ISSUE_COMMENT = fixturePayload('issue_comment.created.pull_request');

let commentIds = 880_000_000;

/**
 * One pull request's life as GitHub sends it: each method appends the delivery GitHub would send for that
 * user action, with a payload carrying the PR as it is at that moment.
 */
export class PrLife {
  readonly deliveries: GithubDelivery[] = [];
  readonly url: string;
  private title: string;
  private titleVersion = 0;
  private status: PrStatus;
  private review: ReviewVerdict = 'none';
  private readonly author: string;
  private readonly reviewers: string[] = [];
  private readonly labels: string[] = [];
  private readonly reviewComments: { readonly id: number; readonly marker: string }[] = [];
  private headSha = 0;

  constructor(
    readonly index: number,
    readonly repo: Repo,
    readonly number: number,
    private readonly newId: () => string,
    options: { readonly draft?: boolean } = {},
  ) {
    this.author = `a${index}`;
    this.title = this.titleText();
    this.status = options.draft ? 'draft' : 'open';
    this.url = `https://github.com/${repo.fullName}/pull/${number}`;
  }

  get current(): PrFinal {
    return { title: this.title, status: this.status, review: this.review };
  }
  get isClosed(): boolean {
    return this.status === 'merged' || this.status === 'closed';
  }
  get isDraft(): boolean {
    return this.status === 'draft';
  }
  get titleEdits(): number {
    return this.titleVersion;
  }
  get reviewCommentCount(): number {
    return this.reviewComments.length;
  }

  history(): PrHistory {
    return {
      index: this.index,
      repo: this.repo,
      number: this.number,
      url: this.url,
      deliveries: this.deliveries,
      final: this.current,
    };
  }

  private titleText(): string {
    const topics = ['Fix flaky login', 'Add rate limiter', 'Refactor cache', 'Bump deps', 'Docs for deploy'];
    return `${topics[this.index % topics.length]} t${this.index}v${this.titleVersion}`;
  }

  /** The actor of the next delivery: a login no other delivery uses. */
  private actor(): string {
    return `g${this.index}e${this.deliveries.length}`;
  }

  private repository(base: unknown): Obj {
    const name = this.repo.fullName.split('/')[1] ?? this.repo.fullName;
    return { ...obj(base), id: this.repo.id, full_name: this.repo.fullName, name };
  }

  /** The `pull_request` object as it is now. */
  private pullRequest(sender: string): Obj {
    const merged = this.status === 'merged';
    const closed = this.isClosed;
    const p = prPayload({
      title: this.title,
      body: `Change ${this.index}: see the linked issue.`,
      draft: this.isDraft,
      state: closed ? 'closed' : 'open',
      merged,
      author: this.author,
      labels: this.labels,
      reviewers: this.reviewers,
      number: this.number,
      repository: this.repo.fullName,
    });
    const pr = clone(obj(p.pull_request));
    pr.html_url = this.url;
    pr.merged_at = merged ? '2025-06-02T12:00:00Z' : null;
    pr.merged_by = merged ? user(sender) : null;
    pr.closed_at = closed ? '2025-06-02T12:00:00Z' : null;
    pr.head = { ...obj(pr.head), sha: this.sha() };
    return pr;
  }

  private sha(): string {
    return (0xabc0000 + this.index * 1000 + this.headSha).toString(16).padStart(40, 'a');
  }

  private push(event: string, action: string, payload: Obj, at: number, expect?: ExpectedMessage): GithubDelivery {
    const delivery: GithubDelivery = {
      id: this.newId(),
      event,
      action,
      payload: { ...payload, action },
      at,
      prIndex: this.index,
      seq: this.deliveries.length,
      ...(expect !== undefined && { expect }),
    };
    this.deliveries.push(delivery);
    return delivery;
  }

  private prEvent(action: string, at: number, sender: string, extra: Obj, expect?: ExpectedMessage): GithubDelivery {
    const base = obj(prPayload());
    return this.push(
      'pull_request',
      action,
      {
        ...base,
        number: this.number,
        pull_request: this.pullRequest(sender),
        repository: this.repository(base.repository),
        sender: user(sender),
        ...extra,
      },
      at,
      expect,
    );
  }

  // ------------------------------------------------------------ pull_request

  /** `opened` with its reviewers and labels already set (GitHub then sends one event per reviewer and label). */
  opened(at: number, reviewers: readonly string[], labels: readonly string[]): void {
    this.reviewers.push(...reviewers);
    this.labels.push(...labels);
    this.prEvent('opened', at, this.author, {});
  }

  reviewRequested(at: number, reviewer: string): void {
    const sender = this.actor();
    this.prEvent('review_requested', at, sender, { requested_reviewer: user(reviewer) }, { marker: sender });
  }

  labeled(at: number, label: string): void {
    this.prEvent('labeled', at, this.actor(), { label: { name: label, color: 'ededed', default: false } });
  }

  editTitle(at: number): void {
    const from = this.title;
    this.titleVersion += 1;
    this.title = this.titleText();
    this.prEvent(
      'edited',
      at,
      this.actor(),
      { changes: { title: { from } } },
      { marker: `t${this.index}v${this.titleVersion}` },
    );
  }

  synchronize(at: number): void {
    const before = this.sha();
    this.headSha += 1;
    const sender = this.actor();
    this.prEvent('synchronize', at, sender, { before, after: this.sha() }, { marker: sender });
  }

  readyForReview(at: number): void {
    this.status = 'open';
    const sender = this.actor();
    this.prEvent('ready_for_review', at, sender, {}, { marker: sender });
  }

  convertToDraft(at: number): void {
    this.status = 'draft';
    const sender = this.actor();
    this.prEvent('converted_to_draft', at, sender, {}, { marker: sender });
  }

  close(at: number, merged: boolean): void {
    this.status = merged ? 'merged' : 'closed';
    const sender = this.actor();
    this.prEvent('closed', at, sender, {}, { marker: sender });
  }

  reopen(at: number): void {
    this.status = 'open';
    const sender = this.actor();
    this.prEvent('reopened', at, sender, {}, { marker: sender });
  }

  // ------------------------------------------------------------ reviews and comments

  /** A review: `approved` / `changes_requested` change the verdict; `commented` (with a body) does not. */
  submitReview(at: number, state: 'approved' | 'changes_requested' | 'commented'): void {
    const sender = this.actor();
    if (state !== 'commented') this.review = state;
    const id = ++commentIds;
    this.push(
      'pull_request_review',
      'submitted',
      {
        ...BASE_REVIEW,
        review: {
          ...obj(BASE_REVIEW.review),
          id,
          state,
          body: `Review ${id} by ${sender}: looks ${state === 'approved' ? 'good' : 'worth another pass'}.`,
          user: user(sender),
          html_url: `${this.url}#pullrequestreview-${id}`,
        },
        pull_request: this.pullRequest(sender),
        repository: this.repository(BASE_REVIEW.repository),
        sender: user(sender),
      },
      at,
      { marker: sender },
    );
  }

  /** A conversation comment (also allowed on a closed PR). */
  comment(at: number): GithubDelivery {
    const sender = this.actor();
    const id = ++commentIds;
    const issue = obj(BASE_ISSUE_COMMENT.issue);
    return this.push(
      'issue_comment',
      'created',
      {
        ...BASE_ISSUE_COMMENT,
        issue: {
          ...issue,
          number: this.number,
          title: this.title,
          state: this.isClosed ? 'closed' : 'open',
          draft: this.isDraft,
          user: user(this.author),
          html_url: this.url,
          pull_request: {
            ...obj(issue.pull_request),
            html_url: this.url,
            merged_at: this.status === 'merged' ? '2025-06-02T12:00:00Z' : null,
          },
        },
        comment: {
          ...obj(BASE_ISSUE_COMMENT.comment),
          id,
          body: `Comment ${id} by ${sender}.`,
          user: user(sender),
          html_url: `${this.url}#issuecomment-${id}`,
        },
        repository: this.repository(BASE_ISSUE_COMMENT.repository),
        sender: user(sender),
      },
      at,
      { marker: sender },
    );
  }

  /** A review comment on the diff; with `reply`, a reply to an earlier one (a Discord reply to its forward). */
  reviewComment(at: number, replyTo?: number): GithubDelivery {
    const sender = this.actor();
    const id = ++commentIds;
    const parent = replyTo === undefined ? undefined : this.reviewComments[replyTo % this.reviewComments.length];
    const base = parent === undefined ? BASE_REVIEW_COMMENT : BASE_REPLY;
    const comment: Obj = {
      ...obj(base.comment),
      id,
      body: `Review comment ${id} by ${sender}.`,
      user: user(sender),
      html_url: `${this.url}#discussion_r${id}`,
    };
    if (parent === undefined) delete comment.in_reply_to_id;
    else comment.in_reply_to_id = parent.id;
    this.reviewComments.push({ id, marker: sender });
    return this.push(
      'pull_request_review_comment',
      'created',
      {
        ...base,
        comment,
        pull_request: this.pullRequest(sender),
        repository: this.repository(base.repository),
        sender: user(sender),
      },
      at,
      parent === undefined ? { marker: sender } : { marker: sender, replyTo: parent.marker },
    );
  }
}

// ---------------------------------------------------------------- random scenarios

/** How an extra copy of a delivery reaches the worker. */
export type CopyKind =
  /** The same queue message handed to two consumers at once (at-least-once delivery). */
  | 'concurrent'
  /** GitHub redelivery (manual or API) under the same delivery id, minutes to hours later. */
  | 'redelivery'
  /** Published again within SQS FIFO's 5-minute deduplication window (the transport drops it). */
  | 'windowed'
  /** The captured body re-sent under a fresh delivery id (GitHub signs only the body). */
  | 'replayNewId';

export interface Copy {
  readonly kind: CopyKind;
  readonly of: GithubDelivery;
  /** The delivery id the copy travels under. */
  readonly id: string;
  readonly at: number;
}

export interface Scenario {
  readonly seed: number;
  readonly prs: readonly PrHistory[];
  /** Every delivery GitHub sent, in send order. */
  readonly deliveries: readonly GithubDelivery[];
  readonly copies: readonly Copy[];
}

export interface ScenarioOptions {
  readonly seed: number;
  readonly prs: number;
  readonly deliveries: number;
  /** Share of deliveries that reach the queue more than once. @default 0.3 */
  readonly duplicateRate?: number;
  /** Share of comment deliveries replayed under a fresh id. @default 0.03 */
  readonly replayRate?: number;
  /** PRs open over this span. @default 4 h */
  readonly spanMs?: number;
}

const MIN = 60_000;

export function generateScenario(options: ScenarioOptions): Scenario {
  const random = seeded(options.seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const newId = () => deliveryIdFrom(random);
  const span = options.spanMs ?? 4 * 60 * MIN;

  // Deliveries per PR: around the mean, summing exactly to the total.
  const mean = options.deliveries / options.prs;
  const counts = Array.from({ length: options.prs }, () => Math.max(8, Math.round(mean + (random() - 0.5) * mean)));
  for (let guard = 0; counts.reduce((a, b) => a + b, 0) !== options.deliveries && guard < 100_000; guard++) {
    const i = Math.floor(random() * counts.length);
    const diff = options.deliveries - counts.reduce((a, b) => a + b, 0);
    if (diff > 0) counts[i] = (counts[i] ?? 0) + 1;
    else if ((counts[i] ?? 0) > 8) counts[i] = (counts[i] ?? 0) - 1;
  }

  const lives = counts.map((count, index) => {
    const repo = REPOS[index % REPOS.length] as Repo;
    const life = new PrLife(index, repo, 100 + index, newId, { draft: random() < 0.2 });
    let t = Math.floor(random() * span);
    const tick = (short: boolean) => {
      t += short ? between(300, 2_000) : random() < 0.3 ? between(2_000, 60_000) : between(MIN, 25 * MIN);
      return t;
    };
    const reviewers = Array.from({ length: between(0, 3) }, (_, k) => `r${index}x${k}`);
    const labels = Array.from({ length: between(0, 3) }, (_, k) => pick(['bug', 'docs', 'perf', 'ui', 'infra']) + k);
    life.opened(t, reviewers, labels);
    for (const r of reviewers) life.reviewRequested(tick(true), r);
    for (const l of labels) life.labeled(tick(true), l);

    const ending = pick(['merged', 'merged', 'merged', 'closed', 'reopened', 'open'] as const);
    const closing = ending === 'open' ? 0 : ending === 'reopened' ? 3 : 1;
    const after = ending !== 'open' && random() < 0.25 ? 1 : 0;
    const middle = Math.max(0, count - life.deliveries.length - closing - after);
    const reopenAt = ending === 'reopened' ? Math.floor(middle / 2) : -1;
    for (let m = 0; m < middle; m++) {
      if (m === reopenAt) {
        life.close(tick(false), false);
        life.reopen(tick(false));
      }
      activity(life, tick(false), m < middle * 0.6, random, between);
    }
    // A draft cannot be merged: it is closed instead.
    if (ending === 'merged' || ending === 'reopened') life.close(tick(false), !life.isDraft);
    if (ending === 'closed') life.close(tick(false), false);
    if (after === 1) life.comment(tick(false));
    return life;
  });

  const prs = lives.map((l) => l.history());
  const deliveries = prs.flatMap((p) => p.deliveries).sort((a, b) => a.at - b.at || a.seq - b.seq);
  const copies: Copy[] = [];
  const duplicateRate = options.duplicateRate ?? 0.3;
  const replayRate = options.replayRate ?? 0.03;
  for (const d of deliveries) {
    if (random() < duplicateRate) {
      const roll = random();
      const kind: CopyKind = roll < 0.35 ? 'concurrent' : roll < 0.9 ? 'redelivery' : 'windowed';
      const at =
        kind === 'concurrent'
          ? d.at
          : kind === 'windowed'
            ? d.at + between(1_000, 4 * MIN)
            : d.at + between(6 * MIN, 180 * MIN);
      copies.push({ kind, of: d, id: d.id, at });
    }
    if (d.event.endsWith('comment') && random() < replayRate) {
      copies.push({ kind: 'replayNewId', of: d, id: newId(), at: d.at + between(MIN, 120 * MIN) });
    }
  }
  return { seed: options.seed, prs, deliveries, copies };
}

/** One middle-of-life activity, weighted like a busy repository, within what GitHub allows in the PR's state. */
function activity(
  life: PrLife,
  at: number,
  early: boolean,
  random: Random,
  between: (lo: number, hi: number) => number,
): void {
  const roll = random();
  if (roll < 0.3) {
    life.comment(at);
  } else if (roll < 0.5) {
    const reply = life.reviewCommentCount > 0 && random() < 0.4;
    life.reviewComment(at, reply ? between(0, 1000) : undefined);
  } else if (roll < 0.65) {
    const verdict = life.isDraft
      ? 'commented'
      : (['approved', 'changes_requested', 'commented'] as const)[between(0, 2)];
    life.submitReview(at, verdict ?? 'commented');
  } else if (roll < 0.8) {
    life.synchronize(at);
  } else if (roll < 0.87 && early && life.titleEdits < 2) {
    life.editTitle(at);
  } else if (roll < 0.92 && life.isDraft) {
    life.readyForReview(at);
  } else if (roll < 0.94 && !life.isDraft) {
    life.convertToDraft(at);
  } else if (roll < 0.97) {
    life.labeled(at, `later${between(0, 9)}`);
  } else {
    life.reviewRequested(at, `late${between(0, 9)}`);
  }
}

/** The forum tags a PR must carry (design §2): its status, plus the review verdict while it is open. */
export function expectedTags(final: PrFinal): readonly string[] {
  const status = { open: 'Open', draft: 'Draft', merged: 'Merged', closed: 'Closed' }[final.status];
  const tags = [status];
  if (final.status === 'open' && final.review === 'approved') tags.push('Approved');
  if (final.status === 'open' && final.review === 'changes_requested') tags.push('Changes requested');
  return tags;
}
