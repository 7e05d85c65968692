import { classify, HANDLED_EVENTS, InvalidPayloadError } from '../../../lambdas/core/classify';
import { example, examples, type Payload, prComment } from './examples';

const REPO_ID = 186853002;

describe('classify', () => {
  test.each(examples('pull_request').map((p) => [String(p.action), p] as const))(
    'pull_request.%s is handled, grouped by repository and PR',
    (action, payload) => {
      expect(classify('pull_request', payload)).toEqual({
        handled: true,
        action,
        repositoryId: REPO_ID,
        repository: 'Codertocat/Hello-World',
        prNumber: 2,
        groupId: `${REPO_ID}#2`,
      });
    },
  );

  test.each(['pull_request_review', 'pull_request_review_comment'])(
    '%s examples are handled with the PR number of pull_request',
    (event) => {
      for (const payload of examples(event)) {
        const result = classify(event, payload);
        expect(result).toMatchObject({ handled: true, action: payload.action, prNumber: 2, groupId: `${REPO_ID}#2` });
      }
    },
  );

  test('issue_comment on a pull request is handled with the issue number', () => {
    expect(classify('issue_comment', prComment())).toEqual({
      handled: true,
      action: 'created',
      repositoryId: REPO_ID,
      repository: 'Codertocat/Hello-World',
      prNumber: 1,
      groupId: `${REPO_ID}#1`,
    });
  });

  test('issue_comment on a plain issue is not handled, with a reason', () => {
    for (const payload of examples('issue_comment')) {
      expect(classify('issue_comment', payload)).toEqual({
        handled: false,
        reason: 'issue_comment on a plain issue (not a pull request)',
      });
    }
  });

  test.each(['check_suite', 'workflow_run'])('%s takes the PR number from pull_requests[0]', (event) => {
    const withPr = examples(event).filter((p) => ((p[event] as Payload).pull_requests as unknown[]).length > 0);
    expect(withPr.length).toBeGreaterThan(0);
    for (const payload of withPr) {
      const repositoryId = (payload.repository as Payload).id;
      expect(classify(event, payload)).toMatchObject({ handled: true, prNumber: 2, groupId: `${repositoryId}#2` });
    }
  });

  test.each(['check_suite', 'workflow_run'])('%s without a pull request is not handled', (event) => {
    const withoutPr = examples(event).filter((p) => ((p[event] as Payload).pull_requests as unknown[]).length === 0);
    expect(withoutPr.length).toBeGreaterThan(0);
    for (const payload of withoutPr) {
      expect(classify(event, payload)).toEqual({
        handled: false,
        reason: `${event} not associated with a pull request`,
      });
    }
  });

  test.each(['push', 'issues', 'star', 'release', 'ping'])('%s events are not handled', (event) => {
    expect(classify(event, example(event))).toEqual({ handled: false, reason: `${event} events are not handled` });
  });

  test('an unhandled event needs no repository', () => {
    expect(classify('installation', {})).toMatchObject({ handled: false });
  });

  test('the handled set is exactly the PR conversation events', () => {
    expect([...HANDLED_EVENTS].sort()).toEqual([
      'check_suite',
      'issue_comment',
      'pull_request',
      'pull_request_review',
      'pull_request_review_comment',
      'workflow_run',
    ]);
  });

  test('an action-less payload has no action', () => {
    const payload = example('pull_request', 'opened');
    delete payload.action;
    expect(classify('pull_request', payload)).not.toHaveProperty('action');
  });

  const broken: [string, string, (p: Payload) => unknown, RegExp][] = [
    ['pull_request', 'no repository', (p) => delete p.repository, /repository\.id/],
    ['pull_request', 'repository.id missing', (p) => delete (p.repository as Payload).id, /repository\.id/],
    ['pull_request', 'repository.id a string', (p) => ((p.repository as Payload).id = '1'), /repository\.id/],
    ['pull_request', 'repository.full_name missing', (p) => delete (p.repository as Payload).full_name, /full_name/],
    ['pull_request', 'no pull_request', (p) => delete p.pull_request, /pull_request\.number/],
    ['pull_request', 'PR number zero', (p) => ((p.pull_request as Payload).number = 0), /pull_request\.number/],
    ['issue_comment', 'no issue', (p) => delete p.issue, /issue/],
    ['check_suite', 'no check_suite', (p) => delete p.check_suite, /check_suite/],
    [
      'workflow_run',
      'pull_requests[0] without number',
      (p) => ((p.workflow_run as Payload).pull_requests = [{}]),
      /workflow_run\.pull_requests\[0\]\.number/,
    ],
  ];
  test.each(broken)('%s with %s is an invalid payload', (event, _case, breakIt, message) => {
    const payload = event === 'issue_comment' ? prComment() : example(event);
    breakIt(payload);
    expect(() => classify(event, payload)).toThrow(InvalidPayloadError);
    expect(() => classify(event, payload)).toThrow(message);
  });

  test.each([null, [], 'text', 42])('a handled event with a non-object payload (%p) is invalid', (payload) => {
    expect(() => classify('pull_request', payload)).toThrow(InvalidPayloadError);
  });
});
