/**
 * Hostile and oversized GitHub text, everywhere it can appear, through every planned event:
 * nothing pings beyond the mapped users, no fence or masked link breaks the layout, every limit holds.
 */
import { plan } from '../../../lambdas/core/plan';
import type { Delivery, Plan } from '../../../lambdas/core/types';
import { delivery, example, fixturePayload, prPayload, testConfig, threadState, user } from '../../helpers/payloads';
import { expectInert, expectWithinLimits, MAPPED_IDS } from './limits';

const config = testConfig({ users: { octocat: MAPPED_IDS[0], codertocat: MAPPED_IDS[1] } });

const INJECTIONS = [
  '@everyone',
  '@here',
  '<@&123456789012345678>',
  '<@123456789012345678>',
  '<@!123456789012345678>',
  '<#123456789012345678>',
  '</deploy:123456789012345678>',
  '```',
  '[link](http://x)',
];
const EVIL = `x ${INJECTIONS.join(' ')} y`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => v as Json;

/** Every contract event, with `text` wherever GitHub lets a user write (and `login` for logins). */
function deliveries(text: string, login: string): Delivery[] {
  const pr = (action: string, extra: Json = {}) => {
    const p = prPayload({
      action,
      title: text,
      body: text,
      labels: [text, 'bug'],
      head: text,
      base: text,
      author: login,
      sender: login,
      reviewers: [login, 'octocat'],
    });
    return delivery('pull_request', { ...p, ...extra });
  };
  const merged = fixturePayload('pull_request.closed.merged');
  Object.assign(obj(merged.pull_request), { title: text, body: text, merged_by: user(login) });
  Object.assign(obj(obj(merged.pull_request).base), { ref: text });

  const review = (fixtureName: string) => {
    const p = fixturePayload(fixtureName);
    Object.assign(obj(p.review), { body: text, user: user(login) });
    Object.assign(obj(p.pull_request), { title: text, user: user('codertocat') });
    return delivery('pull_request_review', p);
  };
  const comment = (fixtureName: string) => {
    const p = fixturePayload(fixtureName);
    Object.assign(obj(p.comment), {
      body: text,
      path: text,
      diff_hunk: `@@ -1 +1 @@\n-${text}\n+${text}`,
      user: user(login),
    });
    p.sender = user(login);
    return delivery('pull_request_review_comment', p);
  };
  const issueComment = fixturePayload('issue_comment.created.pull_request');
  Object.assign(obj(issueComment.comment), { body: text, user: user(login) });
  Object.assign(obj(issueComment.issue), { title: text, body: text });
  issueComment.sender = user(login);

  return [
    pr('opened'),
    pr('edited', { changes: { title: { from: text } } }),
    pr('ready_for_review'),
    pr('converted_to_draft'),
    pr('review_requested', { requested_reviewer: user(login) }),
    pr('review_requested', { requested_team: { name: text, slug: 'x' } }),
    pr('synchronize', { after: text }),
    pr('closed'),
    pr('reopened'),
    delivery('pull_request', merged),
    review('pull_request_review.submitted.approved'),
    review('pull_request_review.submitted.changes_requested'),
    comment('pull_request_review_comment.created.inline'),
    comment('pull_request_review_comment.created.reply'),
    delivery('issue_comment', issueComment),
  ];
}

/** Text Discord renders as markdown: message contents, embed titles, descriptions and field values. */
function markdownText(p: Plan): string[] {
  return p.actions.flatMap((a) => {
    const m = a.kind === 'ensureThread' ? a.starter : a.kind === 'post' ? a.message : undefined;
    if (m === undefined) return [];
    return [
      m.content,
      ...(m.embeds ?? []).flatMap((e) => [e.title ?? '', e.description ?? '', ...(e.fields ?? []).map((f) => f.value)]),
    ];
  });
}

function plans(ds: readonly Delivery[]): Plan[] {
  return ds.flatMap((d) => [plan(d, undefined, config, 'forum'), plan(d, threadState(), config, 'text')]);
}

describe('injection strings', () => {
  const all = plans(deliveries(EVIL, 'evil-user'));

  test('every event is planned (nothing silently ignored)', () => {
    expect(all.filter((p) => p.ignored !== undefined)).toEqual([]);
    expect(all).toHaveLength(30);
  });

  test('no raw mention survives and only mapped users are pinged', () => {
    for (const p of all) expectInert(p);
  });

  test('the mapped reviewer still gets the one intended ping', () => {
    const ready = plans(deliveries(EVIL, 'evil-user'))[4];
    const note = ready?.actions.find((a) => a.kind === 'post');
    expect(note?.kind === 'post' && note.message.mentionUserIds).toEqual([MAPPED_IDS[0]]);
  });

  test('masked links in titles, labels and branch names are escaped or inside a code span', () => {
    const first = all[0]?.actions[0];
    const summary = first?.kind === 'ensureThread' ? first.starter.embeds?.[0] : undefined;
    expect(summary?.title).toContain('\\[link\\](http://x)');
    const field = (name: string) => summary?.fields?.find((f) => f.name === name)?.value ?? '';
    expect(field('Labels')).not.toMatch(/(?<!\\)\[link(?<!\\)\]\(/);
    expect(field('Labels')).toMatch(/^x @\u200beveryone .+…, bug$/);
    expect(field('Branch')).toMatch(/^`[^`]*\[link\]\(http:\/\/x\)[^`]*` → `[^`]*`$/);
  });

  test.each(INJECTIONS)('%s alone in every field stays inert', (evil) => {
    for (const p of plans(deliveries(evil, 'evil-user'))) expectInert(p);
  });

  test('hostile logins (as a crafted payload could carry them) are inert', () => {
    for (const p of plans(deliveries('plain title', '@everyone<@&1>`[x](y)`'))) {
      expectInert(p);
      for (const text of markdownText(p)) expect(text).not.toMatch(/(?<!\\)\[x(?<!\\)\]\(y\)/);
    }
  });
});

describe('oversized text', () => {
  const huge = `${'🚀 long '.repeat(9_000)}\n${'line\n'.repeat(2_000)}`;
  const all = plans(deliveries(huge, 'octocat'));

  test('everything is truncated within Discord limits, emoji intact', () => {
    expect(all.filter((p) => p.ignored !== undefined)).toEqual([]);
    for (const p of all) expectWithinLimits(p);
  });

  test('a 65536-character comment is delivered truncated with an ellipsis', () => {
    const p = fixturePayload('issue_comment.created.pull_request');
    obj(p.comment).body = 'c'.repeat(65_536);
    const out = plan(delivery('issue_comment', p), threadState(), config, 'text');
    const post = out.actions.find((a) => a.kind === 'post');
    const length = post?.kind === 'post' ? post.message.content.length : 0;
    expect(length).toBeLessThanOrEqual(2000);
    expect(length).toBeGreaterThan(1990);
    expect(post?.kind === 'post' && post.message.content.endsWith('…')).toBe(true);
  });

  test('a huge diff hunk leaves room for the comment', () => {
    const p = fixturePayload('pull_request_review_comment.created.inline');
    Object.assign(obj(p.comment), { diff_hunk: `@@ -1 +1 @@\n${'+x'.repeat(50_000)}`, body: 'short note' });
    const out = plan(delivery('pull_request_review_comment', p), threadState(), config, 'text');
    const post = out.actions.find((a) => a.kind === 'post');
    expect(post?.kind === 'post' && post.message.content.endsWith('\n```\nshort note')).toBe(true);
    expectWithinLimits(out);
  });

  test('the examples are untouched by the factories', () => {
    expect(example('pull_request', 'opened', 1).pull_request.title).toBe('Update the README with new information.');
  });
});
