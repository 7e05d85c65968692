import { plan } from '../../../lambdas/core/plan';
import type { Action, OutboundMessage, Plan, ThreadState } from '../../../lambdas/core/types';
import {
  CHANNEL,
  delivery,
  example,
  fixture,
  fixturePayload,
  prPayload,
  testConfig,
  threadState,
} from '../../helpers/payloads';

const OCTO = '400000000000000001';
const CODER = '400000000000000002';
const config = testConfig({ users: { octocat: OCTO, Codertocat: CODER } });
const DELIVERY = 'd0e1a2b3-0000-4000-8000-000000000001';

const kinds = (p: Plan) => p.actions.map((a) => a.kind);
const posts = (p: Plan) => p.actions.flatMap((a) => (a.kind === 'post' ? [a] : []));
const post = (p: Plan, i = 0): Extract<Action, { kind: 'post' }> => {
  const found = posts(p)[i];
  if (found === undefined) throw new Error(`no post #${i} in ${JSON.stringify(kinds(p))}`);
  return found;
};
const find = <K extends Action['kind']>(p: Plan, kind: K) =>
  p.actions.find((a): a is Extract<Action, { kind: K }> => a.kind === kind);
const ensure = (p: Plan) => {
  const e = find(p, 'ensureThread');
  if (e === undefined) throw new Error('no ensureThread');
  return e;
};
const embedText = (m: OutboundMessage) => JSON.stringify(m.embeds ?? []);

function both(d: ReturnType<typeof delivery>, state: ThreadState | undefined = threadState()) {
  return { text: plan(d, state, config, 'text'), forum: plan(d, state, config, 'forum') };
}

describe('pull_request.opened', () => {
  test('creates the thread whose starter is the summary', () => {
    const { text, forum } = both(delivery('pull_request', example('pull_request', 'opened', 1)), undefined);
    expect(kinds(forum)).toEqual(['ensureThread']);
    expect(kinds(text)).toEqual(['ensureThread']);
    expect(ensure(forum)).toMatchObject({ name: 'PR #2 · Update the README with new information.', tags: ['Open'] });
    expect(ensure(text).tags).toEqual([]);
    const starter = ensure(forum).starter;
    expect(starter.content).toBe(
      '🔀 Pull request by **Codertocat** in Codertocat/Hello-World · [open on GitHub](<https://github.com/Codertocat/Hello-World/pull/2>)',
    );
    expect(starter.mentionUserIds).toEqual([]);
    expect(starter.embeds).toEqual([
      {
        title: '#2 Update the README with new information.',
        url: 'https://github.com/Codertocat/Hello-World/pull/2',
        description: 'This is a pretty simple change that we need to pull into master.',
        color: 0x238636,
        author: { name: 'Codertocat', url: 'https://github.com/Codertocat' },
        fields: [
          { name: 'Branch', value: '`changes` → `master`', inline: true },
          { name: 'Labels', value: 'bug', inline: true },
          { name: 'Reviewers', value: 'octocat', inline: true },
        ],
        footer: { text: 'Codertocat/Hello-World' },
      },
    ]);
    expect(forum.pr).toEqual({
      title: 'Update the README with new information.',
      status: 'open',
      review: 'none',
      url: 'https://github.com/Codertocat/Hello-World/pull/2',
    });
  });

  test('a draft gets the Draft tag and says so in the summary', () => {
    const p = plan(delivery('pull_request', prPayload({ draft: true })), undefined, config, 'forum');
    expect(ensure(p).tags).toEqual(['Draft']);
    expect(ensure(p).starter.embeds?.[0]?.fields?.[0]).toEqual({ name: 'Status', value: 'Draft', inline: true });
    expect(p.pr?.status).toBe('draft');
  });

  test('a fork shows owner/repo:branch; a missing description says so', () => {
    const p = plan(
      delivery('pull_request', prPayload({ headRepo: 'someone/Hello-World', body: null })),
      undefined,
      config,
      'text',
    );
    const embed = ensure(p).starter.embeds?.[0];
    expect(embed?.fields?.[0]?.value).toBe('`someone/Hello-World:changes` → `master`');
    expect(embed?.description).toBe('*No description provided.*');
  });

  test('a shared channel puts the repository in the thread name', () => {
    const shared = testConfig({ channels: { 'Codertocat/Hello-World': CHANNEL, 'Codertocat/Other': CHANNEL } });
    const p = plan(delivery('pull_request', example('pull_request', 'opened')), undefined, shared, 'text');
    expect(ensure(p).name).toBe('Hello-World#2 · Update the README with new information.');
  });
});

describe('pull_request.edited', () => {
  test('a title change renames the thread and notes the change', () => {
    const d = fixture('pull_request.edited.title');
    const { text, forum } = both(d);
    expect(kinds(forum)).toEqual(['ensureThread', 'rename', 'post']);
    expect(kinds(text)).toEqual(['ensureThread', 'rename', 'post']);
    expect(find(forum, 'rename')?.name).toBe('PR #2 · Update the README with new information and a logo');
    expect(ensure(forum).name).toBe('PR #2 · Update the README with new information and a logo');
    expect(post(forum)).toEqual({
      kind: 'post',
      key: `${d.id}:0`,
      message: {
        content:
          '✏️ Title changed from “Update the README with new information.” to “Update the README with new information and a logo”',
        mentionUserIds: [],
      },
    });
    expect(forum.pr?.title).toBe('Update the README with new information and a logo');
  });

  test('no rename when the thread already carries the name', () => {
    const state = threadState({ name: 'PR #2 · Update the README with new information and a logo' });
    expect(kinds(plan(fixture('pull_request.edited.title'), state, config, 'forum'))).toEqual(['ensureThread', 'post']);
  });

  test('an edit without a title change is ignored', () => {
    const payload = { ...example('pull_request', 'opened', 1), action: 'edited', changes: { body: { from: 'old' } } };
    const p = plan(delivery('pull_request', payload), threadState(), config, 'forum');
    expect(p).toEqual({ ignored: 'pull_request.edited without a title change', actions: [] });
  });
});

describe('ready_for_review / converted_to_draft', () => {
  test('ready pings the requested reviewers and sets Open', () => {
    const { text, forum } = both(delivery('pull_request', example('pull_request', 'ready_for_review')));
    expect(kinds(forum)).toEqual(['ensureThread', 'post', 'setTags']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(find(forum, 'setTags')?.tags).toEqual(['Open']);
    expect(post(forum)).toEqual({
      kind: 'post',
      key: `${DELIVERY}:0`,
      message: {
        content: `🟢 **Codertocat** marked this pull request ready for review · <@${OCTO}>`,
        mentionUserIds: [OCTO],
      },
    });
  });

  test('ready names teams and unmapped reviewers without pinging them', () => {
    const payload = example('pull_request', 'ready_for_review');
    const pr = payload.pull_request as unknown as Record<string, unknown>;
    pr.requested_reviewers = [{ ...payload.sender, login: 'hubot' }];
    pr.requested_teams = [{ name: 'Core', slug: 'core' }];
    const p = plan(delivery('pull_request', payload), threadState(), config, 'text');
    expect(post(p).message).toEqual({
      content: '🟢 **Codertocat** marked this pull request ready for review · **hubot** team **Core**',
      mentionUserIds: [],
    });
  });

  test('converted to draft notes it and sets Draft', () => {
    const { text, forum } = both(delivery('pull_request', example('pull_request', 'converted_to_draft')));
    expect(kinds(forum)).toEqual(['ensureThread', 'post', 'setTags']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(find(forum, 'setTags')?.tags).toEqual(['Draft']);
    expect(post(forum).message.content).toBe('📝 **Codertocat** converted this pull request to a draft');
    expect(forum.pr?.status).toBe('draft');
  });
});

describe('review requests', () => {
  test('review_requested pings the mapped reviewer', () => {
    const { text, forum } = both(delivery('pull_request', example('pull_request', 'review_requested')));
    expect(kinds(forum)).toEqual(['ensureThread', 'post']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(post(forum).message).toEqual({
      content: `👀 **Codertocat** requested a review from <@${OCTO}>`,
      mentionUserIds: [OCTO],
    });
  });

  test('an unmapped reviewer is named, not pinged', () => {
    const p = plan(
      delivery('pull_request', example('pull_request', 'review_requested')),
      threadState(),
      testConfig(),
      'text',
    );
    expect(post(p).message).toEqual({
      content: '👀 **Codertocat** requested a review from **octocat**',
      mentionUserIds: [],
    });
  });

  test('a team request names the team without a ping', () => {
    const { requested_reviewer: _, ...rest } = example('pull_request', 'review_requested') as {
      requested_reviewer?: unknown;
    } & Record<string, unknown>;
    const p = plan(
      delivery('pull_request', { ...rest, requested_team: { name: 'Core', slug: 'core' } }),
      threadState(),
      config,
      'text',
    );
    expect(post(p).message).toEqual({
      content: '👀 **Codertocat** requested a review from team **Core**',
      mentionUserIds: [],
    });
  });

  test('review_request_removed is ignored', () => {
    const p = plan(
      delivery('pull_request', example('pull_request', 'review_request_removed')),
      threadState(),
      config,
      'forum',
    );
    expect(p).toEqual({ ignored: 'pull_request.review_request_removed is not mirrored (noise)', actions: [] });
  });
});

describe('synchronize', () => {
  test('notes new commits with the head sha', () => {
    const { text, forum } = both(delivery('pull_request', example('pull_request', 'synchronize')));
    expect(kinds(forum)).toEqual(['ensureThread', 'post']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(post(forum).message.content).toBe('⬆️ **Codertocat** pushed new commits · head `ec26c3e`');
  });

  test('says how many when the payload carries the commits', () => {
    const payload = { ...example('pull_request', 'synchronize'), commits: [{}, {}, {}] };
    expect(post(plan(delivery('pull_request', payload), threadState(), config, 'text')).message.content).toBe(
      '⬆️ **Codertocat** pushed 3 new commits',
    );
  });

  test('is ignored when syncNotes is off', () => {
    const off = testConfig({ policy: { syncNotes: false } });
    const p = plan(delivery('pull_request', example('pull_request', 'synchronize')), threadState(), off, 'forum');
    expect(p).toEqual({ ignored: 'synchronize notes are off (policy.syncNotes)', actions: [] });
  });
});

describe('closed / reopened', () => {
  test('closed without merge: note, Closed tag, archive + lock', () => {
    const { text, forum } = both(delivery('pull_request', example('pull_request', 'closed')));
    expect(kinds(forum)).toEqual(['ensureThread', 'post', 'setTags', 'close']);
    expect(kinds(text)).toEqual(['ensureThread', 'post', 'close']);
    expect(post(forum).message.content).toBe('⛔ Closed by **Codertocat**');
    expect(find(forum, 'setTags')?.tags).toEqual(['Closed']);
    expect(forum.pr?.status).toBe('closed');
  });

  test('merged: "merged by X into base", Merged tag, archive + lock', () => {
    const d = fixture('pull_request.closed.merged');
    const { text, forum } = both(d);
    expect(kinds(forum)).toEqual(['ensureThread', 'post', 'setTags', 'close']);
    expect(kinds(text)).toEqual(['ensureThread', 'post', 'close']);
    expect(post(forum)).toEqual({
      kind: 'post',
      key: `${d.id}:0`,
      message: { content: '🟣 Merged by **octocat** into `master`', mentionUserIds: [] },
    });
    expect(find(forum, 'setTags')?.tags).toEqual(['Merged']);
    expect(forum.pr?.status).toBe('merged');
  });

  test('a close of a PR with no thread creates it (closed) first', () => {
    const p = plan(fixture('pull_request.closed.merged'), undefined, config, 'forum');
    expect(kinds(p)).toEqual(['ensureThread', 'post', 'setTags', 'close']);
    expect(ensure(p).tags).toEqual(['Merged']);
  });

  test('reopened: unlock + unarchive, tag, note; the review verdict comes back', () => {
    const state = threadState({
      archived: true,
      locked: true,
      pr: { title: 't', status: 'closed', review: 'approved' },
    });
    const { text, forum } = both(delivery('pull_request', example('pull_request', 'reopened')), state);
    expect(kinds(forum)).toEqual(['ensureThread', 'reopen', 'setTags', 'post']);
    expect(kinds(text)).toEqual(['ensureThread', 'reopen', 'post']);
    expect(find(forum, 'setTags')?.tags).toEqual(['Open', 'Approved']);
    expect(post(forum)).toMatchObject({ key: `${DELIVERY}:0`, message: { content: '🔓 Reopened by **Codertocat**' } });
  });
});

describe('other pull_request actions', () => {
  test.each(['assigned', 'unassigned', 'labeled', 'unlabeled', 'locked', 'unlocked'])('%s is ignored', (action) => {
    const p = plan(delivery('pull_request', example('pull_request', action)), threadState(), config, 'forum');
    expect(p).toEqual({ ignored: `pull_request.${action} is not mirrored`, actions: [] });
  });

  test('removing an excluded label makes the PR eligible: its thread is created', () => {
    const noWip = testConfig({ policy: { excludeLabels: ['bug'] } });
    const payload = example('pull_request', 'unlabeled');
    payload.pull_request.labels = []; // the example still lists the removed label; GitHub does not
    const d = delivery('pull_request', payload);
    expect(kinds(plan(d, undefined, noWip, 'forum'))).toEqual(['ensureThread']);
    expect(plan(d, threadState(), noWip, 'forum').ignored).toBe('pull_request.unlabeled is not mirrored');
  });

  test('a label that makes the PR eligible (includeLabels) creates its thread', () => {
    const only = testConfig({ policy: { includeLabels: ['bug'] } });
    const p = plan(delivery('pull_request', example('pull_request', 'labeled')), undefined, only, 'forum');
    expect(kinds(p)).toEqual(['ensureThread']);
  });
});

describe('pull_request_review', () => {
  test('approved: note pinging the author with the body, Approved tag', () => {
    const d = fixture('pull_request_review.submitted.approved');
    const { text, forum } = both(d);
    expect(kinds(forum)).toEqual(['ensureThread', 'post', 'setTags']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(post(forum)).toEqual({
      kind: 'post',
      key: `${d.id}:0`,
      message: {
        content: `✅ **octocat** approved · <@${CODER}> · [view](<https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895672>)\n>>> Looks great! 🎉`,
        mentionUserIds: [CODER],
      },
    });
    expect(find(forum, 'setTags')?.tags).toEqual(['Open', 'Approved']);
    expect(forum.pr?.review).toBe('approved');
  });

  test('changes requested: note, Changes requested tag', () => {
    const { forum } = both(fixture('pull_request_review.submitted.changes_requested'));
    expect(kinds(forum)).toEqual(['ensureThread', 'post', 'setTags']);
    expect(post(forum).message.content).toBe(
      `🔴 **octocat** requested changes · <@${CODER}> · [view](<https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895673>)\n>>> Please add a test for the new section.`,
    );
    expect(find(forum, 'setTags')?.tags).toEqual(['Open', 'Changes requested']);
    expect(forum.pr?.review).toBe('changes_requested');
  });

  test('a commented review without a body is ignored (its inline comments come separately)', () => {
    const p = plan(fixture('pull_request_review.submitted.inline'), threadState(), config, 'forum');
    expect(p).toEqual({
      ignored: 'commented review without a body (its inline comments arrive as review comments)',
      actions: [],
    });
  });

  test('a commented review with a body is a note, no tag change; a self-review pings nobody', () => {
    const payload = example('pull_request_review', 'submitted', 1);
    payload.review.body = 'A few thoughts inline.';
    const state = threadState({ pr: { title: 't', status: 'open', review: 'changes_requested' } });
    const { text, forum } = both(delivery('pull_request_review', payload), state);
    expect(kinds(forum)).toEqual(['ensureThread', 'post']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(post(forum).message).toEqual({
      content:
        '💬 **Codertocat** reviewed · [view](<https://github.com/Codertocat/Hello-World/pull/2#pullrequestreview-237895671>)\n>>> A few thoughts inline.',
      mentionUserIds: [],
    });
    expect(forum.pr?.review).toBe('changes_requested');
  });

  test('dismissed: note and the tags go back to Open', () => {
    const state = threadState({
      tags: ['Open', 'Changes requested'],
      pr: { title: 't', status: 'open', review: 'changes_requested' },
    });
    const { text, forum } = both(delivery('pull_request_review', example('pull_request_review', 'dismissed')), state);
    expect(kinds(forum)).toEqual(['ensureThread', 'post', 'setTags']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(post(forum).message).toEqual({ content: '↩️ Review by **Codertocat** dismissed', mentionUserIds: [] });
    expect(find(forum, 'setTags')?.tags).toEqual(['Open']);
    expect(forum.pr?.review).toBe('none');
  });

  test('a review edit is ignored', () => {
    const payload = { ...example('pull_request_review', 'submitted', 1), action: 'edited' };
    expect(plan(delivery('pull_request_review', payload), threadState(), config, 'forum').ignored).toBe(
      'pull_request_review.edited is not mirrored',
    );
  });
});

describe('pull_request_review_comment', () => {
  test('forwarded with path:line range and the last lines of the diff hunk', () => {
    const { text, forum } = both(fixture('pull_request_review_comment.created.inline'));
    expect(kinds(forum)).toEqual(['ensureThread', 'post']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(post(forum)).toEqual({
      kind: 'post',
      key: 'review-comment:284312640',
      message: {
        content: [
          '💬 **octocat** commented on `README.md:4-5` · [view](<https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312640>)',
          '```diff',
          '+A small project',
          '+that says hello.',
          ' ',
          ' ## Usage',
          ' ',
          '-Run it.',
          '+Run it with `node hello.js`.',
          '+It prints a greeting.',
          '```',
          'These two lines could be merged.',
        ].join('\n'),
        mentionUserIds: [],
      },
    });
  });

  test('the stock example is forwarded with its single-line hunk', () => {
    const p = plan(
      delivery('pull_request_review_comment', example('pull_request_review_comment', 'created', 1)),
      threadState(),
      config,
      'text',
    );
    expect(post(p).message.content).toBe(
      '💬 **Codertocat** commented on `README.md:265` · [view](<https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630>)\n```diff\n@@ -1 +1 @@\n-# Hello-World\n```\nMaybe you should use more emoji on this line.',
    );
  });

  test('an older payload without line numbers shows the path alone', () => {
    const p = plan(
      delivery('pull_request_review_comment', example('pull_request_review_comment', 'created', 0)),
      threadState(),
      config,
      'text',
    );
    expect(post(p).message.content.split('\n')[0]).toBe(
      '💬 **Codertocat** commented on `README.md` · [view](<https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630>)',
    );
  });

  test('a reply goes as a Discord reply to the forwarded parent', () => {
    const p = plan(fixture('pull_request_review_comment.created.reply'), threadState(), config, 'forum');
    expect(kinds(p)).toEqual(['ensureThread', 'post']);
    expect(post(p)).toEqual({
      kind: 'post',
      key: 'review-comment:284312641',
      replyToKey: 'review-comment:284312640',
      message: {
        content:
          '↪️ **Codertocat** replied on `README.md:5` · [view](<https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312641>)\nGood catch, merged them.',
        mentionUserIds: [],
      },
    });
  });

  test.each(['edited', 'deleted'])(
    '%s of a comment never forwarded is ignored (no thread is created for it)',
    (action) => {
      const p = plan(
        delivery('pull_request_review_comment', example('pull_request_review_comment', action)),
        threadState(),
        config,
        'forum',
      );
      expect(p).toEqual({
        ignored: `pull_request_review_comment.${action}: the comment was never forwarded`,
        actions: [],
      });
    },
  );

  test('edited → the forwarded message is edited; deleted → it is deleted', () => {
    const edited = example('pull_request_review_comment', 'edited');
    const key = `review-comment:${edited.comment.id}`;
    const state = threadState({ messages: { [key]: '500000000000000001' } });
    const e = plan(delivery('pull_request_review_comment', edited), state, config, 'text');
    expect(e.actions.map((a) => a.kind)).toEqual(['ensureThread', 'edit']);
    expect(e.actions[1]).toMatchObject({ kind: 'edit', key, message: { mentionUserIds: [] } });
    const deleted = { ...example('pull_request_review_comment', 'deleted'), comment: edited.comment };
    const d = plan(delivery('pull_request_review_comment', deleted), state, config, 'text');
    expect(d.actions).toEqual([expect.objectContaining({ kind: 'ensureThread' }), { kind: 'delete', key }]);
  });
});

describe('issue_comment', () => {
  test('a comment on a PR is forwarded', () => {
    const { text, forum } = both(fixture('issue_comment.created.pull_request'));
    expect(kinds(forum)).toEqual(['ensureThread', 'post']);
    expect(kinds(text)).toEqual(['ensureThread', 'post']);
    expect(post(forum)).toEqual({
      kind: 'post',
      key: 'issue-comment:492700401',
      message: {
        content:
          '💬 **Codertocat** commented · [view](<https://github.com/Codertocat/Hello-World/pull/2#issuecomment-492700401>)\nThanks! Could you also update the screenshots?',
        mentionUserIds: [],
      },
    });
  });

  test('a comment on a PR with no thread yet creates it from the partial view', () => {
    const p = plan(fixture('issue_comment.created.pull_request'), undefined, config, 'forum');
    expect(kinds(p)).toEqual(['ensureThread', 'post']);
    expect(ensure(p)).toMatchObject({ name: 'PR #2 · Update the README with new information.', tags: ['Open'] });
    const embed = ensure(p).starter.embeds?.[0];
    expect(embed?.fields?.map((f) => f.name)).toEqual(['Labels']);
  });

  test('without draft in the payload, the remembered status stays', () => {
    const payload = fixturePayload('issue_comment.created.pull_request');
    delete (payload.issue as Record<string, unknown>).draft;
    const state = threadState({ tags: ['Draft'], pr: { title: 't', status: 'draft', review: 'none' } });
    expect(plan(delivery('issue_comment', payload), state, config, 'forum').pr?.status).toBe('draft');
    expect(plan(delivery('issue_comment', payload), undefined, config, 'forum').pr?.status).toBe('open');
  });

  test.each([0, 1, 2, 3, 4])('a comment on a plain issue is ignored (example %i)', (i) => {
    const p = plan(delivery('issue_comment', example('issue_comment', 'created', i)), undefined, config, 'forum');
    expect(p).toEqual({ ignored: 'comment on issue #1, which is not a pull request', actions: [] });
  });

  test.each(['edited', 'deleted'])(
    '%s on a PR mirrors onto the forwarded message, or is ignored when none',
    (action) => {
      const payload = { ...fixturePayload('issue_comment.created.pull_request'), action };
      const key = `issue-comment:${(fixturePayload('issue_comment.created.pull_request').comment as { id: number }).id}`;
      expect(plan(delivery('issue_comment', payload), threadState(), config, 'forum').ignored).toBe(
        `issue_comment.${action}: the comment was never forwarded`,
      );
      const mirrored = plan(
        delivery('issue_comment', payload),
        threadState({ messages: { [key]: '500000000000000002' } }),
        config,
        'forum',
      );
      expect(mirrored.actions[1]).toMatchObject({ kind: action === 'edited' ? 'edit' : 'delete', key });
    },
  );
});

describe('planning in general', () => {
  test('ping and unknown events are ignored', () => {
    expect(plan(delivery('ping', example('ping')), undefined, config, 'text')).toEqual({
      ignored: 'ping',
      actions: [],
    });
    expect(plan(delivery('push', example('push')), undefined, config, 'text')).toEqual({
      ignored: 'push events are not mirrored',
      actions: [],
    });
  });

  test('note keys are <delivery id>:<index among notes>, the same on a retry that plans fewer other actions', () => {
    const d = delivery('pull_request', example('pull_request', 'closed'), 'retry-me');
    const first = plan(d, threadState(), config, 'forum');
    const again = plan(d, threadState(), config, 'forum');
    expect(post(first).key).toBe('retry-me:0');
    expect(again).toEqual(first);
    const edit = fixture('pull_request.edited.title');
    const beforeRename = plan(edit, threadState(), config, 'text');
    const renamed = plan(
      edit,
      threadState({ name: (beforeRename.actions[1] as { name: string }).name }),
      config,
      'text',
    );
    expect(renamed.actions.map((a) => a.kind)).toEqual(['ensureThread', 'post']);
    expect(post(renamed).key).toBe(post(beforeRename).key);
  });

  test('the input payload is not mutated', () => {
    const d = fixture('pull_request.closed.merged');
    const before = JSON.stringify(d.payload);
    plan(d, threadState(), config, 'forum');
    expect(JSON.stringify(d.payload)).toBe(before);
  });

  test('summary embeds and messages never carry mentions the config did not ask for', () => {
    const all = [
      fixture('pull_request.closed.merged'),
      fixture('pull_request_review.submitted.approved'),
      delivery('pull_request', example('pull_request', 'review_requested')),
    ].map((d) => plan(d, undefined, config, 'forum'));
    for (const p of all) {
      expect(embedText(ensure(p).starter)).not.toMatch(/<@/);
      for (const a of posts(p)) expect([OCTO, CODER]).toEqual(expect.arrayContaining([...a.message.mentionUserIds]));
    }
  });
});
