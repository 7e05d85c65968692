/** Forwarded comments: review comments (with `path:line` and a diff excerpt; replies as replies) and PR conversation comments. */
import type { IssueCommentEvent, PullRequestReviewCommentEvent } from '../events';
import { diffExcerpt, forwarded, linkSuffix, location } from '../render';
import type { Plan } from '../types';
import { ignored, PlanBuilder, type PlanContext, snapshotOf } from './builder';

const notYet = (event: string, action: string) =>
  ignored(`${event}.${action} is not mirrored yet (comment edits and deletes are a later issue)`);

export function planReviewComment(view: PullRequestReviewCommentEvent, ctx: PlanContext): Plan {
  if (view.action !== 'created') return notYet(view.event, view.action);
  const c = view.comment;
  const reply = c.inReplyToId !== undefined;
  const message = forwarded(
    ctx.config,
    (m) =>
      `${reply ? '↪️' : '💬'} ${m.name(c.user.login)} ${reply ? 'replied on' : 'commented on'} ${location(c.path, c.line, c.startLine)}${linkSuffix('view', c.url)}`,
    c.body,
    reply ? '' : diffExcerpt(c.diffHunk),
  );
  return new PlanBuilder(ctx, view.pr, snapshotOf(view.pr, ctx.state?.pr))
    .post(`review-comment:${c.id}`, message, reply ? `review-comment:${c.inReplyToId}` : undefined)
    .build();
}

export function planIssueComment(view: IssueCommentEvent, ctx: PlanContext): Plan {
  if (view.pr === undefined) return ignored(`comment on issue #${view.issueNumber}, which is not a pull request`);
  if (view.action !== 'created') return notYet(view.event, view.action);
  const c = view.comment;
  const message = forwarded(
    ctx.config,
    (m) => `💬 ${m.name(c.user.login)} commented${linkSuffix('view', c.url)}`,
    c.body,
  );
  return new PlanBuilder(ctx, view.pr, snapshotOf(view.pr, ctx.state?.pr))
    .post(`issue-comment:${c.id}`, message)
    .build();
}
