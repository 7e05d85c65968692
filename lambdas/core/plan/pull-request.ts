/** `pull_request` deliveries: one small builder per action, behind a table. */
import type { PullRequestEvent } from '../events';
import { code, inline } from '../render';
import type { Plan } from '../types';
import { ignored, PlanBuilder, type PlanContext, snapshotOf } from './builder';
import { hasThread } from './policy';

type ActionPlanner = (view: PullRequestEvent, ctx: PlanContext, b: PlanBuilder) => Plan;

const shortSha = (sha: string | undefined) =>
  sha !== undefined && /^[0-9a-f]{7,40}$/i.test(sha) ? sha.slice(0, 7) : undefined;

const planners: Readonly<Record<string, ActionPlanner>> = {
  /** The starter message is the summary: nothing else to say. */
  opened: (_view, _ctx, b) => b.build(),

  edited(view, ctx, b) {
    const from = view.changes?.titleFrom;
    if (from === undefined) return ignored('pull_request.edited without a title change');
    const name = b.threadName();
    if (ctx.state?.name !== name) b.rename(name);
    return b.note(() => `✏️ Title changed from “${inline(from, 200)}” to “${inline(view.pr.title, 200)}”`).build();
  },

  ready_for_review(view, _ctx, b) {
    const reviewers = view.pr.requestedReviewers ?? { users: [], teams: [] };
    return b
      .note((m) => {
        const targets = [...reviewers.users.map((u) => m.ping(u)), ...reviewers.teams.map((t) => `team ${m.name(t)}`)];
        const line = `🟢 ${m.name(view.sender.login)} marked this pull request ready for review`;
        return targets.length === 0 ? line : `${line} · ${targets.join(' ')}`;
      })
      .setTags()
      .build();
  },

  converted_to_draft: (view, _ctx, b) =>
    b
      .note((m) => `📝 ${m.name(view.sender.login)} converted this pull request to a draft`)
      .setTags()
      .build(),

  review_requested(view, _ctx, b) {
    const target = view.requestedReviewer;
    if (target === undefined) return ignored('pull_request.review_requested without a requested reviewer or team');
    return b
      .note(
        (m) =>
          `👀 ${m.name(view.sender.login)} requested a review from ${target.kind === 'user' ? m.ping(target.login) : `team ${m.name(target.name)}`}`,
      )
      .build();
  },

  review_request_removed: () => ignored('pull_request.review_request_removed is not mirrored (noise)'),

  synchronize(view, ctx, b) {
    if (!ctx.config.policy.syncNotes) return ignored('synchronize notes are off (policy.syncNotes)');
    const n = view.pushedCommits;
    const sha = shortSha(view.after ?? view.pr.head?.sha);
    return b
      .note((m) => {
        const who = m.name(view.sender.login);
        if (n !== undefined && n > 0) return `⬆️ ${who} pushed ${n} new commit${n === 1 ? '' : 's'}`;
        return `⬆️ ${who} pushed new commits${sha === undefined ? '' : ` · head ${code(sha)}`}`;
      })
      .build();
  },

  closed(view, _ctx, b) {
    const pr = view.pr;
    return b
      .note((m) =>
        b.snapshot.status === 'merged'
          ? `🟣 Merged by ${m.name(pr.mergedBy ?? view.sender.login)}${pr.base === undefined ? '' : ` into ${code(pr.base.ref)}`}`
          : `⛔ Closed by ${m.name(view.sender.login)}`,
      )
      .setTags()
      .close()
      .build();
  },

  reopened: (view, _ctx, b) =>
    b
      .reopen()
      .setTags()
      .note((m) => `🔓 Reopened by ${m.name(view.sender.login)}`)
      .build(),

  labeled: (view, ctx, b) => labelChange(view, ctx, b, ctx.config.policy.includeLabels),
  unlabeled: (view, ctx, b) => labelChange(view, ctx, b, ctx.config.policy.excludeLabels),
};

/**
 * Labels are not mirrored, except when this label change just made the PR eligible (an include label added,
 * an exclude label removed) and it has no thread yet: then the thread is created.
 */
function labelChange(view: PullRequestEvent, ctx: PlanContext, b: PlanBuilder, relevant: readonly string[]): Plan {
  const label = view.label?.toLowerCase();
  const madeEligible = label !== undefined && relevant.some((l) => l.toLowerCase() === label);
  if (madeEligible && !hasThread(ctx.state)) return b.build();
  return ignored(`pull_request.${view.action} is not mirrored`);
}

export function planPullRequest(view: PullRequestEvent, ctx: PlanContext): Plan {
  const planner = Object.hasOwn(planners, view.action) ? planners[view.action] : undefined;
  if (planner === undefined) return ignored(`pull_request.${view.action} is not mirrored`);
  return planner(view, ctx, new PlanBuilder(ctx, view.pr, snapshotOf(view.pr, ctx.state?.pr)));
}
