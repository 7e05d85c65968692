import { plan } from '../../../lambdas/core/plan';
import type { NoisePolicy } from '../../../lambdas/core/types';
import { delivery, example, fixture, prPayload, testConfig, threadState } from '../../helpers/payloads';

const cfg = (policy: Partial<NoisePolicy>) => testConfig({ policy });
const kinds = (p: ReturnType<typeof plan>) => p.actions.map((a) => a.kind);

describe('noise policy', () => {
  test('a [bot] sender is ignored by default', () => {
    const p = plan(delivery('pull_request', prPayload({ sender: 'dependabot[bot]' })), undefined, cfg({}), 'forum');
    expect(p).toEqual({ ignored: 'sender dependabot[bot] is a bot', actions: [] });
  });

  test('allowBots lets a named bot through (case-insensitive)', () => {
    const p = plan(
      delivery('pull_request', prPayload({ sender: 'Renovate[bot]' })),
      undefined,
      cfg({ allowBots: ['renovate[bot]'] }),
      'forum',
    );
    expect(kinds(p)).toEqual(['ensureThread']);
  });

  test('ignoreBots: false lets bots through', () => {
    const p = plan(
      delivery('pull_request', prPayload({ sender: 'dependabot[bot]' })),
      undefined,
      cfg({ ignoreBots: false }),
      'text',
    );
    expect(p.ignored).toBeUndefined();
  });

  test('a bot comment on a PR is ignored too', () => {
    const d = fixture('issue_comment.created.pull_request');
    const payload = d.payload as { sender: { login: string } };
    payload.sender.login = 'github-actions[bot]';
    expect(plan(d, threadState(), cfg({}), 'forum').ignored).toBe('sender github-actions[bot] is a bot');
  });

  test('ignoreUsers ignores a named sender', () => {
    const p = plan(
      delivery('pull_request', prPayload({ sender: 'Noisy' })),
      undefined,
      cfg({ ignoreUsers: ['noisy'] }),
      'forum',
    );
    expect(p).toEqual({ ignored: 'sender Noisy is in ignoreUsers', actions: [] });
  });

  test('excludeLabels ignores a PR carrying one', () => {
    const p = plan(
      delivery('pull_request', prPayload({ labels: ['bug', 'WIP'] })),
      undefined,
      cfg({ excludeLabels: ['wip'] }),
      'forum',
    );
    expect(p).toEqual({ ignored: 'label wip is in excludeLabels', actions: [] });
  });

  test('includeLabels ignores a PR with none of them and keeps one with one', () => {
    const only = cfg({ includeLabels: ['release'] });
    expect(plan(delivery('pull_request', prPayload({ labels: ['bug'] })), undefined, only, 'forum')).toEqual({
      ignored: 'no label from includeLabels',
      actions: [],
    });
    expect(kinds(plan(delivery('pull_request', prPayload({ labels: ['Release'] })), undefined, only, 'forum'))).toEqual(
      ['ensureThread'],
    );
  });

  test('baseBranches ignores PRs into other branches', () => {
    const main = cfg({ baseBranches: ['main'] });
    expect(plan(delivery('pull_request', prPayload({ base: 'master' })), undefined, main, 'forum')).toEqual({
      ignored: 'base branch master is not in baseBranches',
      actions: [],
    });
    expect(
      plan(delivery('pull_request', prPayload({ base: 'main' })), undefined, main, 'forum').ignored,
    ).toBeUndefined();
  });

  test('baseBranches: a comment (no base in the payload) passes only when the thread exists', () => {
    const main = cfg({ baseBranches: ['main'] });
    expect(plan(fixture('issue_comment.created.pull_request'), undefined, main, 'forum').ignored).toBe(
      'base branch unknown in this payload and no thread yet (baseBranches is set)',
    );
    expect(kinds(plan(fixture('issue_comment.created.pull_request'), threadState(), main, 'forum'))).toEqual([
      'ensureThread',
      'post',
    ]);
  });

  test('drafts: ignore → a draft gets no thread until ready_for_review', () => {
    const ignoreDrafts = cfg({ drafts: 'ignore' });
    expect(plan(delivery('pull_request', prPayload({ draft: true })), undefined, ignoreDrafts, 'forum')).toEqual({
      ignored: 'draft pull request (drafts: ignore)',
      actions: [],
    });
    const ready = plan(
      delivery('pull_request', example('pull_request', 'ready_for_review')),
      undefined,
      ignoreDrafts,
      'forum',
    );
    expect(kinds(ready)).toEqual(['ensureThread', 'post', 'setTags']);
  });

  test('drafts: ignore → a PR with a thread is still followed when converted to draft', () => {
    const ignoreDrafts = cfg({ drafts: 'ignore' });
    const d = delivery('pull_request', example('pull_request', 'converted_to_draft'));
    expect(plan(d, undefined, ignoreDrafts, 'forum').ignored).toBe('draft pull request (drafts: ignore)');
    expect(kinds(plan(d, threadState(), ignoreDrafts, 'forum'))).toEqual(['ensureThread', 'post', 'setTags']);
  });

  test('drafts: include (default) gives drafts a thread', () => {
    expect(kinds(plan(delivery('pull_request', prPayload({ draft: true })), undefined, cfg({}), 'forum'))).toEqual([
      'ensureThread',
    ]);
  });

  test('policy runs before the event: an ignored sender wins over the action', () => {
    const p = plan(fixture('pull_request.closed.merged'), threadState(), cfg({ ignoreUsers: ['octocat'] }), 'forum');
    expect(p.ignored).toBe('sender octocat is in ignoreUsers');
  });
});
