/** Forum tags from the logical PR state: the status tag, plus the review verdict while the PR is open. */
import type { PrSnapshot, TagName } from '../types';

const STATUS_TAG = { open: 'Open', draft: 'Draft', merged: 'Merged', closed: 'Closed' } as const;

export function tagsFor(pr: Pick<PrSnapshot, 'status' | 'review'>): readonly TagName[] {
  const tags: TagName[] = [STATUS_TAG[pr.status]];
  if (pr.status === 'open' && pr.review === 'approved') tags.push('Approved');
  if (pr.status === 'open' && pr.review === 'changes_requested') tags.push('Changes requested');
  return tags;
}
