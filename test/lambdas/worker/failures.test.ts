/**
 * Failure rules (design §3) through real parts: dynalite, the Discord emulator, the real @discordjs/rest client.
 * Crashes are simulated by a Discord port that dies right after a real call succeeded, and a delivery store whose
 * `release` never runs (a crashed process runs no cleanup): the retry waits for the lease to expire.
 */
import { DiscordError, type DiscordPort } from '../../../lambdas/core/ports';
import type { WorkerDeps } from '../../../lambdas/core/process';
import { example, prPayload } from '../../helpers/payloads';
import { startWorkerRig, type WorkerRig } from '../../helpers/worker';

class Crash extends Error {}

/** After the named call succeeds `times` times on Discord, the process "dies". */
function crashAfter(method: keyof DiscordPort, times = 1): (port: DiscordPort) => DiscordPort {
  return (port) => {
    let calls = 0;
    const original = port[method] as (...args: unknown[]) => Promise<unknown>;
    return {
      ...port,
      [method]: async (...args: unknown[]) => {
        const result = await original.apply(port, args);
        calls += 1;
        if (calls === times) throw new Crash(`crash after ${method}`);
        return result;
      },
    };
  };
}

/** Deps of a process that crashes: its claim is never released (no cleanup runs). */
function crashing(rig: WorkerRig, wrap: (port: DiscordPort) => DiscordPort): WorkerDeps {
  const deps = rig.deps({ wrap });
  return { ...deps, deliveries: { ...deps.deliveries, release: async () => {} } };
}

const threadsOf = (rig: WorkerRig) => rig.discord.emu.state.threads({ parentId: rig.channelId });
const messagesOf = (rig: WorkerRig, threadId: string) =>
  rig.discord.emu.state.messages(threadId).filter((m) => !m.deleted);

describe('crashes at step boundaries, retried after the lease', () => {
  let rig: WorkerRig;
  beforeEach(async () => {
    rig = await startWorkerRig();
  });
  afterEach(() => rig.close());

  const retryLater = async (envelope: ReturnType<WorkerRig['envelope']>) => {
    rig.discord.clock.advance(181_000); // past the 180 s lease (= the queue's visibility timeout)
    return rig.process(envelope, rig.deps(), 2);
  };

  test('crash after the starter message, before the thread → one starter, one thread', async () => {
    const opened = rig.envelope('pull_request', example('pull_request', 'opened'), 'c1');
    await expect(rig.process(opened, crashing(rig, crashAfter('createMessage')))).rejects.toThrow(Crash);
    await expect(rig.process(opened, rig.deps())).rejects.toThrow(/Another attempt/); // the lease still holds
    await expect(retryLater(opened)).resolves.toMatchObject({ status: 'done' });
    expect(threadsOf(rig)).toHaveLength(1);
    expect(rig.discord.emu.state.messages(rig.channelId)).toHaveLength(1);
  });

  test('crash after thread creation, before saving its id → one thread after the retry', async () => {
    const opened = rig.envelope('pull_request', example('pull_request', 'opened'), 'c2');
    await expect(rig.process(opened, crashing(rig, crashAfter('startThreadFromMessage')))).rejects.toThrow(Crash);
    expect(threadsOf(rig)).toHaveLength(1);
    await expect(retryLater(opened)).resolves.toMatchObject({ status: 'done' });
    expect(threadsOf(rig)).toHaveLength(1);
    expect(rig.discord.emu.state.messages(rig.channelId)).toHaveLength(1);
  });

  test('crash after a message create, before the state save → one message after the retry', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'opened'), 'c3-open'));
    const comment = rig.fixture('issue_comment.created.pull_request');
    await expect(rig.process(comment, crashing(rig, crashAfter('createMessage')))).rejects.toThrow(Crash);
    await expect(retryLater(comment)).resolves.toMatchObject({ status: 'done' });
    expect(messagesOf(rig, threadsOf(rig)[0].id)).toHaveLength(1);
  });

  test('crash before marking done → the retry finds every effect done and adds none', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'opened'), 'c4-open'));
    const comment = rig.fixture('issue_comment.created.pull_request');
    const deps = rig.deps();
    const dying: WorkerDeps = {
      ...deps,
      deliveries: {
        ...deps.deliveries,
        complete: async () => {
          throw new Crash('crash before complete');
        },
        release: async () => {},
      },
    };
    await expect(rig.process(comment, dying)).rejects.toThrow(Crash);
    rig.takeRequests();
    await expect(retryLater(comment)).resolves.toMatchObject({ status: 'done' });
    expect(messagesOf(rig, threadsOf(rig)[0].id)).toHaveLength(1);
    expect(rig.takeRequests().filter((r) => !r.startsWith('GET'))).toEqual([]);
  });

  test('forum: crash after the post was created, before saving → the retry finds it by name', async () => {
    await rig.close();
    rig = await startWorkerRig({ forum: true });
    const opened = rig.envelope('pull_request', example('pull_request', 'opened'), 'c5');
    await expect(rig.process(opened, crashing(rig, crashAfter('createForumPost')))).rejects.toThrow(Crash);
    await expect(retryLater(opened)).resolves.toMatchObject({ status: 'done' });
    expect(threadsOf(rig)).toHaveLength(1);
  });
});

describe('recovery look-ups tell messages apart by their embeds, not their text alone', () => {
  let rig: WorkerRig;
  beforeAll(async () => {
    rig = await startWorkerRig();
  });
  afterAll(() => rig.close());

  test('a retried "opened" whose summary text equals another PR\'s still gets its own thread', async () => {
    const a = prPayload({ number: 2, title: 'Same words' });
    const b = prPayload({ number: 3, title: 'Other words' });
    // Identical summary content (same author, repository and link), different embeds (#2 vs #3).
    b.pull_request.html_url = a.pull_request.html_url;
    await rig.process(rig.envelope('pull_request', a, 'same-a'));
    await rig.process(rig.envelope('pull_request', b, 'same-b'), rig.deps(), 2);
    expect(
      threadsOf(rig)
        .map((t) => t.name)
        .sort(),
    ).toEqual(['PR #2 · Same words', 'PR #3 · Other words']);
  });
});

describe('Discord faults', () => {
  let rig: WorkerRig;
  beforeEach(async () => {
    rig = await startWorkerRig();
    await rig.process(rig.envelope('pull_request', example('pull_request', 'opened'), 'open'));
  });
  afterEach(() => rig.close());
  const thread = () => threadsOf(rig)[0];

  test('5xx after the write was applied on a message create → the retry posts nothing new (nonce)', async () => {
    rig.discord.emu.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: '500-after-apply' });
    const comment = rig.fixture('issue_comment.created.pull_request');
    await expect(rig.process(comment)).rejects.toBeInstanceOf(DiscordError);
    await expect(rig.process(comment)).resolves.toMatchObject({ status: 'done' });
    expect(messagesOf(rig, thread().id)).toHaveLength(1);
  });

  test('429 on a rename → deferred (the delivery succeeds), applied by a later event', async () => {
    rig.discord.emu.faults.push({ match: { method: 'PATCH' }, kind: '429', retryAfterMs: 30_000 });
    await expect(rig.process(rig.fixture('pull_request.edited.title'))).resolves.toMatchObject({ status: 'done' });
    expect(thread().name).toBe('PR #2 · Update the README with new information.');
    expect(rig.counted.get('RenamesDeferred')).toBe(1);
    await rig.process(rig.envelope('pull_request', example('pull_request', 'synchronize'), 'later'));
    expect(thread().name).not.toBe('PR #2 · Update the README with new information.');
  });

  test('renames are coalesced under 2 per 10 minutes: the third waits, the last title wins', async () => {
    const titled = (title: string, id: string) => {
      const p = prPayload({ action: 'edited', title });
      return rig.envelope('pull_request', { ...p, changes: { title: { from: 'x' } } }, id);
    };
    await rig.process(titled('One', 'r1'));
    await rig.process(titled('Two', 'r2'));
    await rig.process(titled('Three', 'r3'));
    await rig.process(titled('Four', 'r4'));
    expect(thread().name).toBe('PR #2 · Two');
    expect(rig.discord.emu.state.requests().filter((r) => r.status === 429)).toHaveLength(0);
    rig.discord.clock.advance(10 * 60_000);
    await rig.process(rig.envelope('pull_request', example('pull_request', 'synchronize'), 'r5'));
    expect(thread().name).toBe('PR #2 · Four');
  });

  test('a deleted thread is recreated, then the event is posted in the new one', async () => {
    const rest = rig.discord.rest();
    await rest.delete(`/channels/${thread().id}`);
    expect(threadsOf(rig)).toHaveLength(0);
    await rig.process(rig.fixture('issue_comment.created.pull_request'));
    expect(threadsOf(rig)).toHaveLength(1);
    expect(messagesOf(rig, thread().id)).toHaveLength(1);
  });

  test('403 Missing Access → the delivery fails, nothing retried in-process, later calls fail fast', async () => {
    rig.discord.emu.setForbidden(thread().id);
    rig.takeRequests();
    const deps = rig.deps();
    await expect(rig.process(rig.fixture('issue_comment.created.pull_request'), deps)).rejects.toMatchObject({
      kind: 'forbidden',
    });
    expect(rig.takeRequests().filter((r) => !r.startsWith('GET'))).toEqual(['POST /channels/:id/messages 403']);
    const again = rig.envelope('pull_request', example('pull_request', 'synchronize'), 'sync-403');
    await expect(rig.process(again, deps)).rejects.toMatchObject({ kind: 'forbidden' });
    expect(rig.takeRequests()).toEqual([]);
  });

  test('a manual GitHub redelivery (same id, later receivedAt) of a create applied past the nonce window posts once', async () => {
    rig.discord.emu.faults.push({ match: { method: 'POST', route: /\/messages$/ }, kind: '500-after-apply' });
    const comment = rig.fixture('issue_comment.created.pull_request');
    await expect(rig.process(comment)).rejects.toBeInstanceOf(DiscordError);
    rig.discord.clock.advance(10 * 60_000);
    const redelivered = { ...comment, receivedAt: rig.discord.clock.read() };
    await expect(rig.process(redelivered, rig.deps())).resolves.toMatchObject({ status: 'done' });
    expect(messagesOf(rig, thread().id)).toHaveLength(1);
  });

  test('5xx → the record fails and its claim is released, so the retry (same delivery id) runs it', async () => {
    rig.discord.emu.faults.push({ match: { method: 'POST' }, kind: '500' });
    const comment = rig.fixture('issue_comment.created.pull_request');
    await expect(rig.process(comment)).rejects.toMatchObject({ kind: 'retry' });
    await expect(rig.process(comment)).resolves.toMatchObject({ status: 'done' });
    expect(messagesOf(rig, thread().id)).toHaveLength(1);
  });
});

describe('duplicates, concurrency and order', () => {
  let rig: WorkerRig;
  beforeEach(async () => {
    rig = await startWorkerRig({ config: { users: { octocat: '400000000000000002' } } });
  });
  afterEach(() => rig.close());

  const burst = () => {
    const opened = prPayload({ reviewers: [] });
    const requested = (login: string) => ({
      ...prPayload({ action: 'review_requested' }),
      requested_reviewer: { ...opened.sender, login },
    });
    const labeled = (name: string) => ({ ...prPayload({ action: 'labeled' }), label: { name } });
    return [
      rig.envelope('pull_request', opened, 'b0'),
      rig.envelope('pull_request', requested('octocat'), 'b1'),
      rig.envelope('pull_request', requested('hubot'), 'b2'),
      rig.envelope('pull_request', requested('monalisa'), 'b3'),
      rig.envelope('pull_request', labeled('bug'), 'b4'),
      rig.envelope('pull_request', labeled('docs'), 'b5'),
    ];
  };

  test('the opened burst in order → one thread, one note per review request, in GitHub order', async () => {
    for (const e of burst()) await rig.process(e);
    expect(threadsOf(rig)).toHaveLength(1);
    const notes = messagesOf(rig, threadsOf(rig)[0].id).map((m) => m.content);
    expect(notes).toHaveLength(3);
    expect(notes[0]).toContain('<@400000000000000002>');
    expect(notes[1]).toContain('hubot');
    expect(notes[2]).toContain('monalisa');
  });

  test('the burst across two concurrent invocations (and duplicated) → still one thread, each note once', async () => {
    const events = burst();
    const a = rig.deps();
    const b = rig.deps();
    const run = async (deps: WorkerDeps, list: typeof events) => {
      for (const e of list) {
        for (let i = 0; i < 6; i++) {
          try {
            await rig.process(e, deps);
            break;
          } catch {
            // busy or stale: the queue would retry this record
          }
        }
      }
    };
    await Promise.all([run(a, events), run(b, [...events].reverse()), run(rig.deps(), events)]);
    expect(threadsOf(rig)).toHaveLength(1);
    const notes = messagesOf(rig, threadsOf(rig)[0].id);
    expect(notes).toHaveLength(3);
    expect(rig.discord.emu.state.messages(rig.channelId)).toHaveLength(1);
  });

  test('the same delivery processed concurrently by 5 workers → one set of effects', async () => {
    await rig.process(rig.envelope('pull_request', example('pull_request', 'opened'), 'open'));
    const comment = rig.fixture('issue_comment.created.pull_request');
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => rig.process(comment, rig.deps())));
    expect(results.filter((r) => r.status === 'fulfilled')).not.toHaveLength(0);
    for (let i = 0; i < 5; i++) await rig.process(comment, rig.deps()).catch(() => undefined);
    expect(messagesOf(rig, threadsOf(rig)[0].id)).toHaveLength(1);
  });
});

describe('hostile and oversized text', () => {
  let rig: WorkerRig;
  beforeAll(async () => {
    rig = await startWorkerRig();
  });
  afterAll(() => rig.close());

  test('mentions in title, body, branch, labels and comments never ping; oversized text is truncated and delivered', async () => {
    const evil = '@everyone @here <@&123456789012345678> <@123456789012345678> ``` [x](http://evil)';
    const opened = prPayload({
      title: `${evil} ${'T'.repeat(300)}`,
      body: `${evil}\n${'B'.repeat(20_000)}`,
      head: '@everyone-branch',
      labels: ['@here'],
    });
    await expect(rig.process(rig.envelope('pull_request', opened, 'evil-open'))).resolves.toMatchObject({
      status: 'done',
    });
    const comment = JSON.parse(rig.fixture('issue_comment.created.pull_request').body!);
    comment.comment.body = `${evil}\n${'C'.repeat(10_000)}`;
    await rig.process(rig.envelope('issue_comment', comment, 'evil-comment'));
    const thread = threadsOf(rig)[0];
    expect(thread.name.length).toBeLessThanOrEqual(100);
    const all = [...rig.discord.emu.state.messages(rig.channelId), ...rig.discord.emu.state.messages(thread.id)];
    expect(all).toHaveLength(2);
    for (const m of all) {
      expect(m.mentions).toEqual([]);
      expect(m.mentionRoles).toEqual([]);
      expect(m.mentionEveryone).toBe(false);
      expect(m.content.length).toBeLessThanOrEqual(2000);
    }
  });
});

describe('a captured delivery re-sent under a fresh delivery id (GitHub signs only the body)', () => {
  let rig: WorkerRig;
  beforeAll(async () => {
    rig = await startWorkerRig();
  });
  afterAll(() => rig.close());

  test('review notes, merge notes and thread creation are not repeated', async () => {
    const sends = ['pull_request_review.submitted.approved', 'pull_request.closed.merged'];
    for (const name of sends) await rig.process(rig.fixture(name));
    const thread = threadsOf(rig)[0];
    const count = messagesOf(rig, thread.id).length;
    expect(count).toBe(2);
    for (const name of sends) await rig.process(rig.fixture(name, `${name}-resent`));
    expect(messagesOf(rig, thread.id)).toHaveLength(count);
    expect(threadsOf(rig)).toHaveLength(1);
  });
});
