/**
 * The noise policy: which deliveries the bridge deliberately ignores. Returns the reason, or undefined to go on.
 * Applied before any event-specific planning.
 */
import type { PrView, UserView } from '../events';
import type { NoisePolicy, PrStatus, ThreadState } from '../types';

const lower = (values: readonly string[]) => new Set(values.map((v) => v.toLowerCase()));

/** A thread exists (or its creation is under way) for this PR. */
export function hasThread(state: ThreadState | undefined): boolean {
  return (
    state?.threadId !== undefined || state?.pendingStarterId !== undefined || state?.pendingForumName !== undefined
  );
}

export function senderIgnored(policy: NoisePolicy, sender: UserView): string | undefined {
  const login = sender.login.toLowerCase();
  if (lower(policy.ignoreUsers).has(login)) return `sender ${sender.login} is in ignoreUsers`;
  if (policy.ignoreBots && login.endsWith('[bot]') && !lower(policy.allowBots).has(login)) {
    return `sender ${sender.login} is a bot`;
  }
  return undefined;
}

/**
 * Label, base-branch and draft rules for the PR (`status` is its status after this event).
 * A partial view (issue_comment) has no base branch: with a branch filter set it passes only when the thread
 * already exists (the PR passed the filter before).
 */
export function prIgnored(
  policy: NoisePolicy,
  pr: PrView,
  status: PrStatus,
  state: ThreadState | undefined,
): string | undefined {
  const labels = lower(pr.labels);
  const excluded = policy.excludeLabels.find((l) => labels.has(l.toLowerCase()));
  if (excluded !== undefined) return `label ${excluded} is in excludeLabels`;
  if (policy.includeLabels.length > 0 && !policy.includeLabels.some((l) => labels.has(l.toLowerCase()))) {
    return 'no label from includeLabels';
  }
  if (policy.baseBranches.length > 0) {
    if (pr.base === undefined) {
      if (!hasThread(state)) return 'base branch unknown in this payload and no thread yet (baseBranches is set)';
    } else if (!policy.baseBranches.includes(pr.base.ref)) {
      return `base branch ${pr.base.ref} is not in baseBranches`;
    }
  }
  if (policy.drafts === 'ignore' && status === 'draft' && !hasThread(state)) {
    return 'draft pull request (drafts: ignore)';
  }
  return undefined;
}
