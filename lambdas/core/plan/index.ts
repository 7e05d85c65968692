/**
 * The planner: a pure function from a delivery, the PR's thread state and the config to the Discord actions
 * that mirror it. Policy first, then one builder per event family behind a dispatch table.
 */
import { channelFor } from '../config';
import { type EventView, parseDelivery } from '../events';
import type { BridgeConfig, Delivery, Plan, ThreadState } from '../types';
import { ignored, type PlanContext, statusOf } from './builder';
import { planIssueComment, planReviewComment } from './comments';
import { prIgnored, senderIgnored } from './policy';
import { planPullRequest } from './pull-request';
import { planReview } from './reviews';

type ViewOf<E extends EventView['event']> = Extract<EventView, { readonly event: E }>;
type Builders = { readonly [E in EventView['event']]: (view: ViewOf<E>, ctx: PlanContext) => Plan };

const builders: Builders = {
  pull_request: planPullRequest,
  pull_request_review: planReview,
  pull_request_review_comment: planReviewComment,
  issue_comment: planIssueComment,
};

function dispatch<E extends EventView['event']>(view: ViewOf<E>, ctx: PlanContext): Plan {
  const builder: (view: ViewOf<E>, ctx: PlanContext) => Plan = builders[view.event as E];
  return builder(view, ctx);
}

/**
 * Plan the Discord effects of one delivery. Every non-ignored plan starts with `ensureThread` (the executor
 * skips it when the thread exists). `ignored` set ⇒ no actions.
 * @throws PayloadError when the payload lacks a field its event must carry.
 */
export function plan(
  delivery: Delivery,
  state: ThreadState | undefined,
  config: BridgeConfig,
  channelKind: 'text' | 'forum',
): Plan {
  if (delivery.event === 'ping') return ignored('ping');
  const view = parseDelivery(delivery);
  if (view === undefined) return ignored(`${delivery.event} events are not mirrored`);
  const pr = view.pr;
  const channelId =
    state?.channelId ?? (pr === undefined ? config.defaultChannelId : channelFor(config, pr.repository.fullName));
  const ctx: PlanContext = { delivery, state, config, channelKind, channelId };
  if (pr !== undefined) {
    const reason =
      senderIgnored(config.policy, view.sender) ?? prIgnored(config.policy, pr, statusOf(pr, state?.pr), state);
    if (reason !== undefined) return ignored(reason);
  }
  return dispatch(view, ctx);
}
