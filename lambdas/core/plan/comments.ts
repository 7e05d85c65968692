/** Forwarded comments: review comments (with `path:line` and a diff excerpt; replies as replies) and PR conversation comments. */
import type { IssueCommentEvent, PullRequestReviewCommentEvent } from '../events';
import { diffExcerpt, forwarded, linkSuffix, location } from '../render';
import type { OutboundMessage, Plan } from '../types';
import { ignored, PlanBuilder, type PlanContext, snapshotOf } from './builder';

/**
 * `created` posts the comment; `edited` and `deleted` mirror onto the message forwarded under the same key.
 * An edit or delete of a comment the bridge never forwarded is ignored (it never creates a thread for it).
 */
function mirror(
  view: IssueCommentEvent | PullRequestReviewCommentEvent,
  ctx: PlanContext,
  key: string,
  message: OutboundMessage,
  replyToKey?: string,
): Plan {
  const pr = view.pr;
  if (pr === undefined) return ignored('comment without a pull request');
  const builder = new PlanBuilder(ctx, pr, snapshotOf(pr, ctx.state?.pr));
  if (view.action === 'created') return builder.post(key, message, replyToKey).build();
  if (view.action !== 'edited' && view.action !== 'deleted')
    return ignored(`${view.event}.${view.action} is not mirrored`);
  if (ctx.state?.threadId === undefined || ctx.state.messages[key] === undefined) {
    return ignored(`${view.event}.${view.action}: the comment was never forwarded`);
  }
  return (view.action === 'edited' ? builder.edit(key, message) : builder.remove(key)).build();
}

export function planReviewComment(view: PullRequestReviewCommentEvent, ctx: PlanContext): Plan {
  const c = view.comment;
  const reply = c.inReplyToId !== undefined;
  const message = forwarded(
    ctx.config,
    (m) =>
      `${reply ? '↪️' : '💬'} ${m.name(c.user.login)} ${reply ? 'replied on' : 'commented on'} ${location(c.path, c.line, c.startLine)}${linkSuffix('view', c.url)}`,
    c.body,
    reply ? '' : diffExcerpt(c.diffHunk),
  );
  return mirror(view, ctx, `review-comment:${c.id}`, message, reply ? `review-comment:${c.inReplyToId}` : undefined);
}

export function planIssueComment(view: IssueCommentEvent, ctx: PlanContext): Plan {
  if (view.pr === undefined) return ignored(`comment on issue #${view.issueNumber}, which is not a pull request`);
  const c = view.comment;
  const message = forwarded(
    ctx.config,
    (m) => `💬 ${m.name(c.user.login)} commented${linkSuffix('view', c.url)}`,
    c.body,
  );
  return mirror(view, ctx, `issue-comment:${c.id}`, message);
}
