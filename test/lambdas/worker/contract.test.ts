/**
 * The event → Discord contract (design §2), end to end through the worker core, the DynamoDB stores on dynalite
 * and the real @discordjs/rest client against the Discord emulator. Assertions are on what the emulator holds.
 */
import { example, prPayload } from '../../helpers/payloads';
import { startWorkerRig, type WorkerRig } from '../../helpers/worker';

const AUTHOR_ID = '400000000000000001';
const REVIEWER_ID = '400000000000000002';
const users = { Codertocat: AUTHOR_ID, octocat: REVIEWER_ID };

describe('text channel: one PR, one public thread, its whole life', () => {
  let rig: WorkerRig;
  beforeAll(async () => {
    rig = await startWorkerRig({ config: { users } });
  });
  afterAll(() => rig.close());

  const thread = () => {
    const threads = rig.discord.emu.state.threads({ parentId: rig.channelId });
    expect(threads).toHaveLength(1);
    return threads[0];
  };
  const messages = () => rig.discord.emu.state.messages(thread().id).filter((m) => !m.deleted);
  const last = () => messages()[messages().length - 1];

  test('opened → public thread "PR #2 · Title" started from a summary message', async () => {
    const result = await rig.process(rig.envelope('pull_request', example('pull_request', 'opened'), 'd-opened'));
    expect(result.status).toBe('done');
    const t = thread();
    expect(t.name).toBe('PR #2 · Update the README with new information.');
    expect(t.type).toBe(11);
    expect(t.private).toBe(false);
    const starter = rig.discord.emu.state.message(t.starterMessageId!);
    expect(starter?.channelId).toBe(rig.channelId);
    expect(JSON.stringify(starter?.embeds)).toContain('Codertocat');
    expect(starter?.allowedMentions?.parse).toEqual([]);
    expect(rig.takeRequests()).toEqual([
      'GET /channels/:id 200',
      'POST /channels/:id/messages 200',
      'POST /channels/:id/messages/:id/threads 201',
    ]);
  });

  test('the same delivery again (duplicate) has no effect and makes no Discord request', async () => {
    const result = await rig.process(rig.envelope('pull_request', example('pull_request', 'opened'), 'd-opened'));
    expect(result.status).toBe('duplicate');
    expect(rig.takeRequests()).toEqual([]);
  });

  test('review_requested → a note pinging the mapped reviewer, and only them', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'review_requested'), 'd-rr'));
    expect(last().content).toContain(`<@${REVIEWER_ID}>`);
    expect(last().mentions).toEqual([REVIEWER_ID]);
    expect(last().mentionEveryone).toBe(false);
    expect(rig.takeRequests()).toEqual(['POST /channels/:id/messages 200']);
  });

  test('edited title → thread renamed and a "title changed" note', async () => {
    await rig.process(rig.fixture('pull_request.edited.title'));
    expect(thread().name).toMatch(/^PR #2 · /);
    expect(thread().name).not.toBe('PR #2 · Update the README with new information.');
    expect(last().content.toLowerCase()).toContain('title');
    expect(rig.takeRequests()).toEqual(['PATCH /channels/:id 200', 'POST /channels/:id/messages 200']);
  });

  test('issue_comment on the PR → forwarded once, even when replayed under a new delivery id', async () => {
    await rig.process(rig.fixture('issue_comment.created.pull_request'));
    const count = messages().length;
    expect(last().content.length).toBeGreaterThan(0);
    await rig.process(rig.fixture('issue_comment.created.pull_request', 'replayed-under-new-id'));
    expect(messages()).toHaveLength(count);
  });

  test('review comment → path:line with a diff excerpt; a reply is a Discord reply to the forwarded parent', async () => {
    await rig.process(rig.fixture('pull_request_review_comment.created.inline'));
    const parent = last();
    expect(parent.content).toContain('```diff');
    await rig.process(rig.fixture('pull_request_review_comment.created.reply'));
    expect(last().replyTo).toBe(parent.id);
  });

  test('review approved → note pinging the PR author', async () => {
    await rig.process(rig.fixture('pull_request_review.submitted.approved'));
    expect(last().content.toLowerCase()).toContain('approved');
    expect(last().mentions).toEqual([AUTHOR_ID]);
  });

  test('a commented review without a body posts nothing (its inline comments come separately)', async () => {
    const before = messages().length;
    const result = await rig.process(rig.fixture('pull_request_review.submitted.inline'));
    expect(result.status).toBe('ignored');
    expect(messages()).toHaveLength(before);
  });

  test('closed (merged) → note, then archived and locked in one PATCH', async () => {
    rig.takeRequests();
    await rig.process(rig.fixture('pull_request.closed.merged'));
    expect(last().content.toLowerCase()).toContain('merged');
    expect(thread()).toMatchObject({ archived: true, locked: true });
    expect(rig.takeRequests()).toEqual(['POST /channels/:id/messages 200', 'PATCH /channels/:id 200']);
  });

  test('a comment after the merge is still posted and the thread is closed again', async () => {
    const payload = JSON.parse(rig.fixture('issue_comment.created.pull_request').body!);
    payload.comment.id = 999001;
    payload.comment.body = 'Post-merge thanks!';
    await rig.process(rig.envelope('issue_comment', payload, 'd-after-merge'));
    expect(last().content).toContain('Post-merge thanks!');
    expect(thread()).toMatchObject({ archived: true, locked: true });
  });

  test('reopened → unlocked and unarchived, with a note', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'reopened'), 'd-reopen'));
    expect(thread()).toMatchObject({ archived: false, locked: false });
    expect(last().content.toLowerCase()).toContain('reopened');
  });

  test('converted_to_draft and ready_for_review → notes; ready pings the requested reviewers', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'converted_to_draft'), 'd-draft'));
    expect(last().content.toLowerCase()).toContain('draft');
    await rig.process(rig.envelope('pull_request', example('pull_request', 'ready_for_review'), 'd-ready'));
    expect(last().mentions).toEqual([REVIEWER_ID]);
  });

  test('synchronize → a commits note', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'synchronize'), 'd-sync'));
    expect(last().content.toLowerCase()).toContain('commit');
  });

  test('every create and edit carried allowed_mentions (no message fell back to Discord defaults)', () => {
    const all = [...rig.discord.emu.state.messages(rig.channelId), ...rig.discord.emu.state.messages(thread().id)];
    expect(all.length).toBeGreaterThan(10);
    for (const m of all) {
      expect(m.mentionsDefaulted).toBe(false);
      expect(m.history.every((h) => h.allowedMentions !== null)).toBe(true);
    }
  });
});

describe('forum channel: posts with tags kept in step', () => {
  let rig: WorkerRig;
  beforeAll(async () => {
    rig = await startWorkerRig({ forum: true, config: { users } });
  });
  afterAll(() => rig.close());
  const post = () => {
    const threads = rig.discord.emu.state.threads({ parentId: rig.channelId });
    expect(threads).toHaveLength(1);
    return threads[0];
  };

  test('opened → a forum post with the summary as starter and the Open tag (created on the channel)', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'opened'), 'f-opened'));
    expect(post().name).toBe('PR #2 · Update the README with new information.');
    expect(post().appliedTags).toEqual(['Open']);
    expect(post().starterMessageId).toBe(post().id);
    const tags = rig.discord.emu.state.channel(rig.channelId)?.tags.map((t) => t.name);
    expect(tags).toEqual(
      expect.arrayContaining(['Open', 'Draft', 'Approved', 'Changes requested', 'Merged', 'Closed']),
    );
  });

  test('approved → Approved tag added; changes requested → replaced', async () => {
    await rig.process(rig.fixture('pull_request_review.submitted.approved'));
    expect([...post().appliedTags].sort()).toEqual(['Approved', 'Open']);
    await rig.process(rig.fixture('pull_request_review.submitted.changes_requested'));
    expect([...post().appliedTags].sort()).toEqual(['Changes requested', 'Open']);
  });

  test('draft → Draft tag; merged → Merged tag, archived and locked', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'converted_to_draft'), 'f-draft'));
    expect(post().appliedTags).toEqual(['Draft']);
    await rig.process(rig.fixture('pull_request.closed.merged'));
    expect(post()).toMatchObject({ archived: true, locked: true, appliedTags: ['Merged'] });
  });

  test('reopened → Open tag (the standing review tag comes back with it), unarchived and unlocked', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'reopened'), 'f-reopen'));
    expect(post()).toMatchObject({ archived: false, locked: false });
    expect([...post().appliedTags].sort()).toEqual(['Changes requested', 'Open']);
  });
});

describe('lazy adoption and routing', () => {
  let rig: WorkerRig;
  beforeAll(async () => {
    rig = await startWorkerRig();
  });
  afterAll(() => rig.close());

  test('a comment on a PR with no thread yet creates the thread first, then posts', async () => {
    await rig.process(rig.fixture('issue_comment.created.pull_request'));
    const threads = rig.discord.emu.state.threads({ parentId: rig.channelId });
    expect(threads).toHaveLength(1);
    expect(threads[0].name).toMatch(/^PR #2 · /);
    expect(rig.discord.emu.state.messages(threads[0].id)).toHaveLength(1);
  });

  test('a comment on a plain issue is ignored by ingest classification', () => {
    expect(() => rig.envelope('issue_comment', example('issue_comment', 'created'), 'plain')).toThrow();
  });

  test('a PR in another repository gets its own thread', async () => {
    const other = prPayload({ number: 77, title: 'Other repo change', repository: 'acme/other' });
    (other.repository as { id: number }).id = 555;
    await rig.process(rig.envelope('pull_request', other, 'other-repo'));
    const names = rig.discord.emu.state.threads({ parentId: rig.channelId }).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['PR #77 · Other repo change']));
  });
});

describe('edits and deletes of forwarded comments', () => {
  let rig: WorkerRig;
  beforeAll(async () => {
    rig = await startWorkerRig();
  });
  afterAll(() => rig.close());
  const forwarded = () => {
    const [thread] = rig.discord.emu.state.threads({ parentId: rig.channelId });
    return rig.discord.emu.state.messages(thread.id);
  };

  test('an edited comment edits the forwarded message (allowed_mentions sent again); a deleted one deletes it', async () => {
    const created = JSON.parse(rig.fixture('issue_comment.created.pull_request').body!);
    await rig.process(rig.envelope('issue_comment', created, 'c-created'));
    const edited = { ...created, action: 'edited', comment: { ...created.comment, body: 'Edited: @everyone look' } };
    await rig.process(rig.envelope('issue_comment', edited, 'c-edited'));
    const [message] = forwarded();
    expect(message.content).toContain('Edited:');
    expect(message.editedAt).not.toBeNull();
    expect(message.history.map((h) => h.op)).toEqual(['create', 'edit']);
    expect(message.history[1].allowedMentions?.parse).toEqual([]);
    expect(message.mentionEveryone).toBe(false);
    await rig.process(rig.envelope('issue_comment', { ...created, action: 'deleted' }, 'c-deleted'));
    expect(forwarded().map((m) => m.deleted)).toEqual([true]);
  });

  test('an edit of a comment that was never forwarded creates nothing', async () => {
    const other = JSON.parse(rig.fixture('issue_comment.created.pull_request').body!);
    other.action = 'edited';
    other.comment.id = 123456;
    await expect(rig.process(rig.envelope('issue_comment', other, 'c-unknown-edit'))).resolves.toMatchObject({
      status: 'ignored',
    });
    expect(forwarded()).toHaveLength(1);
  });
});
