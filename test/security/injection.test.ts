/**
 * Hostile text in every place GitHub lets a user write (titles, bodies, comments, review comments, branch names,
 * logins, labels, team names), through the real worker (dynalite, the real @discordjs/rest client) to the Discord
 * emulator, in a text channel and in a forum channel. Asserted on what Discord received and holds:
 * no create or edit request pings anyone but the one mapped reviewer where intended, and the layout survives.
 */
import type { MessageView } from '../../local/discord-emulator';
import { fixturePayload, prPayload, user } from '../helpers/payloads';
import { startWorkerRig, type WorkerRig } from '../helpers/worker';

const MAPPED = '400000000000000077';
const ROLE = '123456789012345678';
const EVIL = [
  'x',
  '@everyone',
  '@here',
  '@EVERYONE',
  `<@&${ROLE}>`,
  `<@${ROLE}>`,
  `<@!${ROLE}>`,
  `<#${ROLE}>`,
  `</deploy:${ROLE}>`,
  '```',
  '[click me](https://evil.example/phish)',
  '**bold** ~~strike~~ ||spoiler|| > quote # heading',
  'y',
].join(' ');
/** A body that opens a code fence and never closes it, with mentions inside and after. */
const UNCLOSED = `Look:\n\`\`\`js\nconst a = '@everyone';\n${EVIL.replace('```', '')}\nstill in the fence <@${ROLE}>`;
const EVIL_LOGIN = `evil<@${ROLE}>@here`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => v as Json;

/** A PR's life with hostile text everywhere, as deliveries for one PR. */
function lifecycle(rig: WorkerRig, prefix: string): ReturnType<WorkerRig['envelope']>[] {
  const pr = (action: string, extra: Json = {}) => {
    const p = prPayload({
      action,
      title: EVIL,
      body: UNCLOSED,
      labels: [EVIL, 'bug'],
      head: `feature/${EVIL}`,
      base: `main${EVIL}`,
      author: EVIL_LOGIN,
      sender: EVIL_LOGIN,
      reviewers: ['octocat', EVIL_LOGIN],
    });
    return { ...p, ...extra };
  };
  const issueComment = fixturePayload('issue_comment.created.pull_request');
  Object.assign(obj(issueComment.comment), { body: UNCLOSED, user: user(EVIL_LOGIN) });
  Object.assign(obj(issueComment.issue), { title: EVIL, body: EVIL });
  issueComment.sender = user(EVIL_LOGIN);

  const reviewComment = fixturePayload('pull_request_review_comment.created.inline');
  Object.assign(obj(reviewComment.comment), {
    body: `${EVIL}\n${UNCLOSED}`,
    path: `src/${EVIL}.ts`,
    diff_hunk: `@@ -1,3 +1,3 @@\n-\`\`\`\n+${EVIL}\n+\`\`\`js`,
    user: user(EVIL_LOGIN),
  });
  reviewComment.sender = user(EVIL_LOGIN);

  const review = fixturePayload('pull_request_review.submitted.changes_requested');
  Object.assign(obj(review.review), { body: UNCLOSED, user: user(EVIL_LOGIN) });
  review.sender = user(EVIL_LOGIN);

  const merged = fixturePayload('pull_request.closed.merged');
  Object.assign(obj(merged.pull_request), { title: EVIL, merged_by: user(EVIL_LOGIN) });
  merged.sender = user(EVIL_LOGIN);

  const edited = fixturePayload('issue_comment.created.pull_request');
  Object.assign(obj(edited.comment), { body: `${EVIL} (edited)`, user: user(EVIL_LOGIN) });
  edited.action = 'edited';

  return [
    rig.envelope('pull_request', pr('opened'), `${prefix}-opened`),
    rig.envelope('pull_request', pr('review_requested', { requested_reviewer: user('octocat') }), `${prefix}-rr1`),
    rig.envelope('pull_request', pr('review_requested', { requested_reviewer: user(EVIL_LOGIN) }), `${prefix}-rr2`),
    rig.envelope(
      'pull_request',
      pr('review_requested', { requested_reviewer: undefined, requested_team: { name: EVIL, slug: 'x' } }),
      `${prefix}-rr3`,
    ),
    rig.envelope('pull_request', pr('edited', { changes: { title: { from: 'Old title' } } }), `${prefix}-edited`),
    rig.envelope('issue_comment', issueComment, `${prefix}-comment`),
    rig.envelope('pull_request_review_comment', reviewComment, `${prefix}-review-comment`),
    rig.envelope('pull_request_review', review, `${prefix}-review`),
    rig.envelope('pull_request', pr('synchronize', { after: EVIL }), `${prefix}-sync`),
    rig.envelope('pull_request', merged, `${prefix}-merged`),
    rig.envelope('issue_comment', edited, `${prefix}-comment-edited`),
  ];
}

const FENCE = /`{3,}/g;
const fences = (text: string) => text.match(FENCE)?.length ?? 0;
/** A masked link `[text](url)` whose brackets are not escaped. */
const MASKED_LINK = /(?<!\\)\[[^\]\n]*(?<!\\)\]\((<?)([^)\s>]*)>?\)/g;

function expectNoPings(messages: readonly MessageView[]): { pings: number } {
  let pings = 0;
  for (const m of messages) {
    expect(m.mentionsDefaulted).toBe(false);
    expect(m.mentionEveryone).toBe(false);
    expect(m.mentionRoles).toEqual([]);
    expect(m.history.length).toBeGreaterThan(0);
    for (const h of m.history) {
      expect(h.allowedMentions).not.toBeNull();
      expect(h.allowedMentions?.parse).toEqual([]);
      expect(h.mentionEveryone).toBe(false);
      // Only the mapped reviewer, and only where the bridge wrote the mention itself.
      expect(h.mentions.every((id) => id === MAPPED)).toBe(true);
      if (h.mentions.length > 0) expect(m.content).toContain(`<@${MAPPED}>`);
      pings += h.mentions.length;
    }
    // The text itself is inert too (it stays inert if copied or if allowed_mentions were ever dropped).
    expect(m.content).not.toMatch(/@(everyone|here)/i);
    expect(m.content).not.toMatch(/<@[!&]|<#\d|<\/\w+:\d/);
    for (const match of m.content.matchAll(/<@(\d+)>/g)) expect(match[1]).toBe(MAPPED);
  }
  return { pings };
}

/** Single-line markup the bridge builds (first line of a message, embed title and fields): no user masked link. */
function expectOnlyOwnLinks(text: string): void {
  for (const match of text.matchAll(MASKED_LINK)) {
    expect(match[1]).toBe('<');
    expect(match[2]).toMatch(/^https:\/\/(github\.com|api\.github\.com)\//);
  }
}

describe.each([
  ['text', false],
  ['forum', true],
] as const)('hostile text through the worker into a %s channel', (kind, forum) => {
  let rig: WorkerRig;
  let all: () => MessageView[];
  let threadMessages: () => MessageView[];
  const thread = () => {
    const threads = rig.discord.emu.state.threads({ parentId: rig.channelId });
    expect(threads).toHaveLength(1);
    return threads[0];
  };

  beforeAll(async () => {
    rig = await startWorkerRig({ forum, config: { users: { octocat: MAPPED } } });
    threadMessages = () => rig.discord.emu.state.messages(thread().id);
    all = () => [...rig.discord.emu.state.messages(rig.channelId), ...threadMessages()];
    for (const envelope of lifecycle(rig, kind)) await rig.process(envelope);
  });
  afterAll(() => rig.close());

  test('one thread holds the conversation; its name is inert and single-line', () => {
    const { name } = thread();
    expect(name).toMatch(/^PR #\d+ · /);
    expect(name.length).toBeLessThanOrEqual(100);
    expect(name).not.toMatch(/@(everyone|here)|<@|<#|\n/i);
    expect(threadMessages().length).toBeGreaterThanOrEqual(8);
  });

  test('0 pings in any create or edit request, except the one intended ping of the mapped reviewer', () => {
    const { pings } = expectNoPings(all());
    expect(pings).toBe(1);
    const pinged = all().filter((m) => m.mentions.length > 0);
    expect(pinged).toHaveLength(1);
    expect(pinged[0]?.content.toLowerCase()).toContain('review');
  });

  test('the summary keeps its layout: title, description with its fence closed, every field', () => {
    const starter = rig.discord.emu.state.message(thread().starterMessageId ?? '');
    const embed = obj(starter?.embeds[0]);
    const fields = (embed.fields as { name: string; value: string }[]).map((f) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['Branch', 'Labels', 'Reviewers']));
    expect(String(embed.title)).toMatch(/^#\d+ /);
    expectOnlyOwnLinks(String(embed.title));
    for (const f of embed.fields as { value: string }[]) {
      expectOnlyOwnLinks(f.value);
      expect(fences(f.value)).toBe(0);
    }
    expect(fences(String(embed.description)) % 2).toBe(0);
    expect(String(embed.description)).toContain('still in the fence');
    expectOnlyOwnLinks(starter?.content ?? '');
  });

  test('every message: fences balanced, and the header line is the bridge’s own (no user link, not in a fence)', () => {
    for (const m of threadMessages()) {
      expect(fences(m.content) % 2).toBe(0);
      const [header = ''] = m.content.split('\n');
      expect(header).not.toMatch(/^`{3}/);
      expectOnlyOwnLinks(header);
    }
  });

  test('a forwarded comment with an unclosed fence: header first, body fenced and closed, nothing after it swallowed', () => {
    const comment = threadMessages().find((m) => m.content.startsWith('💬') && m.content.includes('commented'));
    expect(comment?.content.split('\n')[0]).toMatch(/commented/);
    expect(comment?.content.endsWith('\n```')).toBe(true);
    const after = threadMessages().slice(threadMessages().indexOf(comment as MessageView) + 1);
    expect(after.length).toBeGreaterThan(0);
  });

  test('a review comment: path:line and the diff excerpt in a closed ```diff block, then the comment outside it', () => {
    const m = threadMessages().find((x) => x.content.includes('```diff'));
    const content = m?.content ?? '';
    const diffStart = content.indexOf('```diff');
    const diffEnd = content.indexOf('\n```', diffStart + 7);
    expect(diffStart).toBeGreaterThan(0);
    expect(diffEnd).toBeGreaterThan(diffStart);
    // The user's own fence inside the hunk could not close the diff block early.
    expect(fences(content.slice(diffStart + 7, diffEnd))).toBe(0);
    expect(content.slice(diffEnd + 4)).toContain('still in the fence');
  });
});
