/** `pull_request_review` deliveries: verdicts with an excerpt, pinging the PR author; dismissals. */
import type { PullRequestReviewEvent } from '../events';
import { linkSuffix, type Mentions } from '../render';
import type { Plan, ReviewState } from '../types';
import { ignored, PlanBuilder, type PlanContext, snapshotOf } from './builder';

const VERDICTS: Readonly<
  Record<string, { readonly icon: string; readonly verb: string; readonly review?: ReviewState }>
> = {
  approved: { icon: '✅', verb: 'approved', review: 'approved' },
  changes_requested: { icon: '🔴', verb: 'requested changes', review: 'changes_requested' },
  commented: { icon: '💬', verb: 'reviewed' },
};

function submitted(view: PullRequestReviewEvent, ctx: PlanContext): Plan {
  const { review, pr } = view;
  const verdict = Object.hasOwn(VERDICTS, review.state) ? VERDICTS[review.state] : undefined;
  if (verdict === undefined) return ignored(`review state ${review.state} is not mirrored`);
  if (verdict.review === undefined && review.body.trim() === '') {
    return ignored('commented review without a body (its inline comments arrive as review comments)');
  }
  const b = new PlanBuilder(ctx, pr, snapshotOf(pr, ctx.state?.pr, verdict.review));
  const selfReview = review.user.login.toLowerCase() === pr.author.login.toLowerCase();
  b.note(
    (m: Mentions) => {
      const author = selfReview ? '' : ` · ${m.ping(pr.author.login)}`;
      return `${verdict.icon} ${m.name(review.user.login)} ${verdict.verb}${author}${linkSuffix('view', review.url)}`;
    },
    review.body.trim() === '' ? undefined : review.body,
  );
  if (verdict.review !== undefined) b.setTags();
  return b.build();
}

function dismissed(view: PullRequestReviewEvent, ctx: PlanContext): Plan {
  const { review, pr, sender } = view;
  const b = new PlanBuilder(ctx, pr, snapshotOf(pr, ctx.state?.pr, 'none'));
  const byOther = sender.login.toLowerCase() !== review.user.login.toLowerCase();
  return b
    .note((m) => `↩️ Review by ${m.name(review.user.login)} dismissed${byOther ? ` by ${m.name(sender.login)}` : ''}`)
    .setTags()
    .build();
}

export function planReview(view: PullRequestReviewEvent, ctx: PlanContext): Plan {
  if (view.action === 'submitted') return submitted(view, ctx);
  if (view.action === 'dismissed') return dismissed(view, ctx);
  return ignored(`pull_request_review.${view.action} is not mirrored`);
}
