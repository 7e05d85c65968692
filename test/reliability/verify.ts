/**
 * Compares what the Discord emulator holds with what GitHub did (the scenario): one live thread per PR, each
 * expected message exactly once and in GitHub's order, replies attached to their parent, and the final thread
 * state (name, archived/locked, forum tags).
 */
import type { DiscordEmulator, MessageView, ThreadView } from '../../local/discord-emulator';
import { type ChannelKind, expectedTags, type PrHistory } from './scenario';

export interface PrReport {
  readonly pr: PrHistory;
  readonly threads: number;
  readonly expected: number;
  readonly found: number;
  readonly missing: readonly string[];
  readonly duplicated: readonly string[];
  readonly unknown: number;
  readonly inOrder: boolean;
  readonly finalState: boolean;
  readonly problems: readonly string[];
}

export interface Verification {
  readonly prs: readonly PrReport[];
  readonly liveThreads: number;
  readonly expectedThreads: number;
  /** Messages in the text channel that start no live thread (a starter posted twice). */
  readonly orphanStarters: number;
  readonly expectedMessages: number;
  readonly exactlyOnce: number;
  readonly missing: number;
  readonly duplicated: number;
  readonly unknown: number;
  readonly comments: { readonly expected: number; readonly exactlyOnce: number };
  readonly prsInOrder: number;
  readonly prsFinalStateRight: number;
  readonly pings: number;
  readonly problems: readonly string[];
}

const TITLE_CHANGE = /to “[^”]*\b(t\d+v\d+)”/;
const ACTOR = /\b(g\d+e\d+)\b/;
const PR_URL = /github\.com\/([\w.-]+\/[\w.-]+)\/pull\/(\d+)/;

/** The marker of a Discord message: the new title of a title-change note, else the first actor login. */
export function markerOf(content: string): string | undefined {
  return TITLE_CHANGE.exec(content)?.[1] ?? ACTOR.exec(content)?.[1];
}

const prKey = (repo: string, n: number | string) => `${repo}#${n}`;

export function verifyDiscord(
  emu: DiscordEmulator,
  channelOf: (kind: ChannelKind) => string,
  prs: readonly PrHistory[],
  /**
   * Deliveries that went through the DLQ and were redriven: SQS puts them back at the end of their group, after
   * later events of the PR, so their notes are exempt from the order check (still counted exactly once).
   */
  redriven: ReadonlySet<string> = new Set(),
): Verification {
  const byPr = new Map<string, ThreadView[]>();
  let liveThreads = 0;
  for (const kind of ['text', 'forum'] as const) {
    for (const thread of emu.state.threads({ parentId: channelOf(kind) })) {
      liveThreads += 1;
      const starter = emu.state.message(thread.starterMessageId ?? thread.id);
      const url = PR_URL.exec(starter?.content ?? '');
      const key = url ? prKey(url[1] ?? '', url[2] ?? '') : `unknown:${thread.id}`;
      byPr.set(key, [...(byPr.get(key) ?? []), thread]);
    }
  }
  const textMessages = emu.state.messages(channelOf('text')).filter((m) => !m.deleted);
  const liveStarters = new Set(
    emu.state
      .threads({ parentId: channelOf('text') })
      .map((t) => t.starterMessageId)
      .filter((id): id is string => id !== null),
  );
  const orphanStarters = textMessages.filter((m) => !liveStarters.has(m.id)).length;

  const reports = prs.map((pr) => checkPr(emu, pr, byPr.get(prKey(pr.repo.fullName, pr.number)) ?? [], redriven));
  const expectedComments = prs.flatMap((p) => p.deliveries.filter((d) => d.expect && d.event.endsWith('comment')));
  const commentMarkers = (r: PrReport) =>
    r.pr.deliveries.filter((d) => d.expect && d.event.endsWith('comment')).map((d) => d.expect?.marker ?? '');
  const commentsOnce = reports.reduce(
    (n, r) => n + commentMarkers(r).filter((m) => !r.missing.includes(m) && !r.duplicated.includes(m)).length,
    0,
  );
  const allMessages = [...byPr.values()].flat().flatMap((t) => emu.state.messages(t.id));
  return {
    prs: reports,
    liveThreads,
    expectedThreads: prs.length,
    orphanStarters,
    expectedMessages: reports.reduce((n, r) => n + r.expected, 0),
    exactlyOnce: reports.reduce((n, r) => n + r.expected - r.missing.length - r.duplicated.length, 0),
    missing: reports.reduce((n, r) => n + r.missing.length, 0),
    duplicated: reports.reduce((n, r) => n + r.duplicated.length, 0),
    unknown: reports.reduce((n, r) => n + r.unknown, 0),
    comments: { expected: expectedComments.length, exactlyOnce: commentsOnce },
    prsInOrder: reports.filter((r) => r.inOrder).length,
    prsFinalStateRight: reports.filter((r) => r.finalState).length,
    pings: [...allMessages, ...textMessages].filter((m) => m.mentionEveryone || m.mentionRoles.length > 0).length,
    problems: [
      ...(orphanStarters > 0 ? [`${orphanStarters} text-channel message(s) start no live thread`] : []),
      ...[...byPr.keys()].filter((k) => k.startsWith('unknown:')).map((k) => `thread ${k} belongs to no PR`),
      ...reports.flatMap((r) => r.problems.map((p) => `${r.pr.repo.fullName}#${r.pr.number}: ${p}`)),
    ],
  };
}

function checkPr(
  emu: DiscordEmulator,
  pr: PrHistory,
  threads: readonly ThreadView[],
  redriven: ReadonlySet<string>,
): PrReport {
  const late = new Set(
    pr.deliveries.filter((d) => redriven.has(d.id)).flatMap((d) => (d.expect ? [d.expect.marker] : [])),
  );
  const expected = pr.deliveries.flatMap((d) => (d.expect ? [d.expect] : []));
  const problems: string[] = [];
  if (threads.length !== 1) problems.push(`${threads.length} live threads (want 1)`);
  const thread = threads[0];
  const messages: MessageView[] = thread
    ? emu.state.messages(thread.id).filter((m) => !m.deleted && m.id !== (thread.starterMessageId ?? thread.id))
    : [];
  const deleted = thread ? emu.state.messages(thread.id).filter((m) => m.deleted).length : 0;
  if (deleted > 0) problems.push(`${deleted} deleted message(s) in the thread`);

  const found = messages.map((m) => ({ m, marker: markerOf(m.content) }));
  const want = new Map<string, number>();
  for (const e of expected) want.set(e.marker, (want.get(e.marker) ?? 0) + 1);
  const have = new Map<string, number>();
  for (const f of found) if (f.marker) have.set(f.marker, (have.get(f.marker) ?? 0) + 1);
  const missing = [...want].filter(([k, n]) => (have.get(k) ?? 0) < n).map(([k]) => k);
  const duplicated = [...have].filter(([k, n]) => n > (want.get(k) ?? 0)).map(([k]) => k);
  const unknown = found.filter((f) => f.marker === undefined).length;
  if (missing.length > 0) problems.push(`missing ${missing.join(', ')}`);
  if (duplicated.length > 0) problems.push(`more than once or unexpected: ${duplicated.join(', ')}`);
  if (unknown > 0) problems.push(`${unknown} message(s) matching no GitHub event`);

  // Order: the messages found for expected markers, in thread order, against GitHub's order.
  const wanted = new Set(expected.map((e) => e.marker).filter((m) => !late.has(m)));
  const actualOrder = found.map((f) => f.marker).filter((k): k is string => k !== undefined && wanted.has(k));
  const firstSeen = actualOrder.filter((k, i) => actualOrder.indexOf(k) === i);
  const expectedOrder = expected.map((e) => e.marker).filter((k) => firstSeen.includes(k));
  const inOrder = firstSeen.join(' ') === expectedOrder.join(' ');
  if (!inOrder) problems.push(`out of GitHub order: ${firstSeen.join(' ')} (want ${expectedOrder.join(' ')})`);

  const idOf = new Map(found.flatMap((f) => (f.marker ? [[f.marker, f.m.id] as const] : [])));
  for (const e of expected) {
    if (e.replyTo === undefined) continue;
    const msg = found.find((f) => f.marker === e.marker)?.m;
    if (msg && msg.replyTo !== (idOf.get(e.replyTo) ?? null))
      problems.push(`${e.marker} is not a reply to ${e.replyTo}`);
  }

  let finalState = thread !== undefined;
  if (thread) {
    const closed = pr.final.status === 'merged' || pr.final.status === 'closed';
    const wantName = `PR #${pr.number} · ${pr.final.title}`;
    if (thread.name !== wantName) problems.push(`name "${thread.name}" (want "${wantName}")`);
    if (thread.archived !== closed || thread.locked !== closed) {
      problems.push(`archived=${thread.archived} locked=${thread.locked} (want ${closed} for a ${pr.final.status} PR)`);
    }
    const tags = [...thread.appliedTags].sort().join(', ');
    const wantTags = pr.repo.channel === 'forum' ? [...expectedTags(pr.final)].sort().join(', ') : '';
    if (tags !== wantTags) problems.push(`tags [${tags}] (want [${wantTags}])`);
    finalState =
      thread.name === wantName && thread.archived === closed && thread.locked === closed && tags === wantTags;
  }
  return {
    pr,
    threads: threads.length,
    expected: expected.length,
    found: found.length,
    missing,
    duplicated,
    unknown,
    inOrder,
    finalState,
    problems,
  };
}
