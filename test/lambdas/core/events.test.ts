import { PayloadError, parseDelivery } from '../../../lambdas/core/events';
import { delivery, example, fixture, fixturePayload, prPayload } from '../../helpers/payloads';

describe('parseDelivery', () => {
  test('a pull_request payload gives a complete view', () => {
    const view = parseDelivery(delivery('pull_request', example('pull_request', 'opened', 1)));
    expect(view?.event).toBe('pull_request');
    expect(view?.pr).toEqual({
      complete: true,
      repository: { id: 186853002, fullName: 'Codertocat/Hello-World', name: 'Hello-World' },
      number: 2,
      title: 'Update the README with new information.',
      url: 'https://github.com/Codertocat/Hello-World/pull/2',
      author: { login: 'Codertocat', bot: false },
      state: 'open',
      draft: false,
      merged: false,
      mergedBy: undefined,
      base: { ref: 'master', sha: expect.any(String), repoFullName: 'Codertocat/Hello-World' },
      head: { ref: 'changes', sha: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', repoFullName: 'Codertocat/Hello-World' },
      body: 'This is a pretty simple change that we need to pull into master.',
      labels: ['bug'],
      requestedReviewers: { users: ['octocat'], teams: [] },
      commits: 1,
    });
    expect(view?.sender).toEqual({ login: 'Codertocat', bot: false });
  });

  test('a fork keeps the head repository name', () => {
    const view = parseDelivery(delivery('pull_request', prPayload({ headRepo: 'someone/Hello-World' })));
    expect(view?.pr?.head?.repoFullName).toBe('someone/Hello-World');
  });

  test('a null body becomes empty text', () => {
    const view = parseDelivery(delivery('pull_request', example('pull_request', 'opened', 2)));
    expect(view?.pr?.body).toBe('');
  });

  test('a merged close carries merged and merged_by', () => {
    const view = parseDelivery(fixture('pull_request.closed.merged'));
    expect(view?.pr).toMatchObject({ state: 'closed', merged: true, mergedBy: 'octocat' });
  });

  test('a title edit carries the old title', () => {
    const view = parseDelivery(fixture('pull_request.edited.title'));
    expect(view).toMatchObject({
      event: 'pull_request',
      action: 'edited',
      changes: { titleFrom: 'Update the README with new information.' },
    });
  });

  test('review_requested names the reviewer; a team request names the team', () => {
    const user = parseDelivery(delivery('pull_request', example('pull_request', 'review_requested')));
    expect(user).toMatchObject({ requestedReviewer: { kind: 'user', login: 'octocat' } });
    const payload = example('pull_request', 'review_requested');
    const { requested_reviewer: _, ...rest } = payload as typeof payload & { requested_reviewer?: unknown };
    const team = parseDelivery(delivery('pull_request', { ...rest, requested_team: { name: 'Core', slug: 'core' } }));
    expect(team).toMatchObject({ requestedReviewer: { kind: 'team', name: 'Core' } });
  });

  test('review payloads derive merged from merged_at and leave merged_by unknown', () => {
    const view = parseDelivery(delivery('pull_request_review', example('pull_request_review', 'submitted', 1)));
    expect(view?.pr).toMatchObject({ complete: true, merged: false, mergedBy: undefined, draft: false });
    expect(view).toMatchObject({ review: { id: 237895671, state: 'commented', body: '' } });
  });

  test('an older review payload without draft leaves draft unknown', () => {
    const view = parseDelivery(delivery('pull_request_review', example('pull_request_review', 'submitted', 0)));
    expect(view?.pr?.draft).toBeUndefined();
  });

  test('review comments give path, line range, hunk and reply target', () => {
    const inline = parseDelivery(fixture('pull_request_review_comment.created.inline'));
    expect(inline).toMatchObject({
      comment: { id: 284312640, path: 'README.md', line: 5, startLine: 4, reviewId: 237895674 },
    });
    const reply = parseDelivery(fixture('pull_request_review_comment.created.reply'));
    expect(reply).toMatchObject({ comment: { id: 284312641, inReplyToId: 284312640 } });
  });

  test('an issue_comment on a PR gives a partial view: no base, head or reviewers', () => {
    const view = parseDelivery(fixture('issue_comment.created.pull_request'));
    expect(view?.event).toBe('issue_comment');
    expect(view?.pr).toMatchObject({
      complete: false,
      number: 2,
      state: 'open',
      draft: false,
      merged: false,
      labels: ['bug'],
    });
    expect(view?.pr?.base).toBeUndefined();
    expect(view?.pr?.head).toBeUndefined();
    expect(view?.pr?.requestedReviewers).toBeUndefined();
    expect(view?.pr?.url).toBe('https://github.com/Codertocat/Hello-World/pull/2');
  });

  test('an issue_comment on a plain issue has no PR', () => {
    const view = parseDelivery(delivery('issue_comment', example('issue_comment', 'created')));
    expect(view).toMatchObject({ event: 'issue_comment', issueNumber: 1, pr: undefined });
  });

  test('a [bot] login or type Bot marks a bot', () => {
    const view = parseDelivery(
      delivery('pull_request', prPayload({ author: 'dependabot[bot]', sender: 'renovate[bot]' })),
    );
    expect(view?.pr?.author.bot).toBe(true);
    expect(view?.sender.bot).toBe(true);
  });

  test('events the bridge does not read give undefined', () => {
    expect(parseDelivery(delivery('push', { ref: 'refs/heads/main' }))).toBeUndefined();
  });

  test('a bad shape raises a PayloadError naming the field and the delivery', () => {
    const payload = fixturePayload('pull_request.closed.merged');
    const pr = payload.pull_request as Record<string, unknown>;
    delete pr.head;
    const run = () => parseDelivery(delivery('pull_request', payload, 'dead-beef'));
    expect(run).toThrow(PayloadError);
    expect(run).toThrow(/^Invalid pull_request payload \(delivery dead-beef\): pull_request\.head .+\.$/);
  });

  test('a non-object payload is a PayloadError', () => {
    expect(() => parseDelivery(delivery('issue_comment', 'not json'))).toThrow(PayloadError);
  });
});
