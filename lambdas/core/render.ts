/**
 * Rendering: thread names, the summary embed, notes and forwarded comments. Every piece of GitHub text passes
 * through one of the inert helpers below (no mass or user/role/channel mention can survive, no user text can
 * close a code fence or break the layout) and every string is cut to Discord's limits by code points.
 * The only mentions rendered are `<@id>` for users mapped in the config, and exactly those ids are returned
 * in `mentionUserIds`.
 */
import { channelIsShared } from './config';
import type { PrView, RepositoryView } from './events';
import type { BridgeConfig, Embed, EmbedField, OutboundMessage, PrStatus } from './types';

export const LIMITS = {
  threadName: 100,
  content: 2000,
  embedTitle: 256,
  embedDescription: 4096,
  fieldName: 256,
  fieldValue: 1024,
  fields: 25,
  footer: 2048,
  authorName: 256,
  embedTotal: 6000,
} as const;

const ZWSP = '\u200b';
const ELLIPSIS = '…';

// ---------------------------------------------------------------- inert text

/**
 * Cut `text` so its UTF-16 length (≥ its code-point count, so within Discord's limit either way) is at most `max`,
 * never splitting a surrogate pair, ending with `…` when something was cut.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  let out = '';
  for (const cp of text) {
    if (out.length + cp.length > max - ELLIPSIS.length) break;
    out += cp;
  }
  return out.trimEnd() + ELLIPSIS;
}

/** `@everyone`, `@here`, `<@id>`, `<@!id>`, `<@&role>`, `<#channel>`, `</cmd:id>`, `<id:…>` → shown, never parsed. */
export function neutraliseMentions(text: string): string {
  return text.replace(/@(everyone|here)/gi, `@${ZWSP}$1`).replace(/<(?=[@#/]|id:)/gi, `<${ZWSP}`);
}

/** Runs of 3+ backticks become a lookalike that cannot open or close a code block. */
export function neutraliseFences(text: string): string {
  return text.replace(/`{3,}/g, (run) => run.split('').join(ZWSP));
}

/** Backslash-escape inline markdown (bold, italics, strike, spoilers, code, masked links, quotes, headings). */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|[\]>#]/g, (c) => `\\${c}`);
}

function collapse(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this strips
  return text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}

/** Single-line user text for places that do not render markdown (thread names, embed author, footer). */
export function plain(text: string, max: number): string {
  return truncate(neutraliseFences(neutraliseMentions(collapse(text))), max);
}

/** Single-line user text inside markdown (titles, logins, labels, branch names): inert and escaped. */
export function inline(text: string, max = 256): string {
  return escapeMarkdown(plain(text, max));
}

/** User text as an inline code span (paths, branch names, shas): backticks replaced by a lookalike. */
export function code(text: string, max = 256): string {
  const inner = plain(text, max).replace(/`/g, 'ˋ');
  return inner === '' ? '' : '`' + inner + '`';
}

/**
 * Multi-line user markdown (bodies, comments): mentions neutralised, at most `maxLines` lines, cut to `max`,
 * and an unbalanced code fence closed so the rest of the message keeps its layout.
 */
export function block(text: string, max: number, maxLines = Number.POSITIVE_INFINITY): string {
  const lines = neutraliseMentions(text.replace(/\r\n?/g, '\n'))
    .replace(/\n{3,}/g, '\n\n')
    .trim()
    .split('\n');
  let out = lines.length > maxLines ? lines.slice(0, maxLines).join('\n') + `\n${ELLIPSIS}` : lines.join('\n');
  const closer = '\n```';
  if (out.length > max) out = truncate(out, Math.max(0, max - closer.length));
  const fences = out.match(/`{3,}/g)?.length ?? 0;
  return fences % 2 === 1 ? out + closer : out;
}

/** A URL from the payload, usable inside `[text](<url>)`, or undefined. */
export function safeUrl(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\/[^\s<>()]+$/.test(url) && url.length <= 512 ? url : undefined;
}

/** ` · [label](<url>)` (embed suppressed) for a safe URL, else nothing. */
export function linkSuffix(label: string, url: string | undefined): string {
  const safe = safeUrl(url);
  return safe === undefined ? '' : ` · [${label}](<${safe}>)`;
}

// ---------------------------------------------------------------- mentions

/** Renders GitHub logins; collects the Discord ids of the users it pings. */
export class Mentions {
  private readonly ids: string[] = [];
  constructor(private readonly users: BridgeConfig['users']) {}

  /** An actor: bold, inert, never a ping. */
  name(login: string): string {
    return `**${inline(login, 64)}**`;
  }

  /** A target: `<@id>` when the login is mapped (and the id is recorded), else the inert name. */
  ping(login: string): string {
    const id = this.users[login.toLowerCase()];
    if (id === undefined || !/^\d{17,20}$/.test(id)) return this.name(login);
    if (!this.ids.includes(id)) this.ids.push(id);
    return `<@${id}>`;
  }

  get userIds(): readonly string[] {
    return [...this.ids];
  }
}

function message(content: string, mentions: Mentions, embeds?: readonly Embed[]): OutboundMessage {
  const body = truncate(content, LIMITS.content);
  return embeds === undefined
    ? { content: body, mentionUserIds: mentions.userIds }
    : { content: body, embeds, mentionUserIds: mentions.userIds };
}

// ---------------------------------------------------------------- thread name

/** `PR #805 · Title`, or `repo#805 · Title` when the channel serves several repositories; ≤ 100 chars, never empty. */
export function threadName(
  config: BridgeConfig,
  channelId: string,
  pr: { readonly repository: RepositoryView; readonly number: number; readonly title: string },
): string {
  const prefix = channelIsShared(config, channelId)
    ? `${plain(pr.repository.name, 90)}#${pr.number}`
    : `PR #${pr.number}`;
  const title = plain(pr.title, LIMITS.threadName);
  return truncate(title === '' ? prefix : `${prefix} · ${title}`, LIMITS.threadName);
}

// ---------------------------------------------------------------- summary

const COLORS: Readonly<Record<PrStatus, number>> = {
  open: 0x238636,
  draft: 0x6e7681,
  merged: 0x8957e5,
  closed: 0xda3633,
};

const STATUS_LABEL: Readonly<Record<PrStatus, string>> = {
  open: 'Open',
  draft: 'Draft',
  merged: 'Merged',
  closed: 'Closed',
};

function branchLabel(pr: PrView): string | undefined {
  if (pr.head === undefined || pr.base === undefined) return undefined;
  const fork = pr.head.repoFullName !== undefined && pr.head.repoFullName !== pr.repository.fullName;
  const head = fork ? `${pr.head.repoFullName}:${pr.head.ref}` : pr.head.ref;
  return `${code(head, 200)} → ${code(pr.base.ref, 200)}`;
}

function listField(name: string, items: readonly string[]): EmbedField | undefined {
  if (items.length === 0) return undefined;
  return { name, value: truncate(items.join(', '), LIMITS.fieldValue), inline: true };
}

function embedLength(e: Embed): number {
  return (
    (e.title?.length ?? 0) +
    (e.description?.length ?? 0) +
    (e.footer?.text.length ?? 0) +
    (e.author?.name.length ?? 0) +
    (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}

/** Shrink the description, then field values, until the embed fits Discord's 6000-character total. */
export function fitEmbed(embed: Embed): Embed {
  let e = embed;
  const over = () => embedLength(e) - LIMITS.embedTotal;
  if (over() > 0 && e.description !== undefined) {
    e = { ...e, description: truncate(e.description, Math.max(1, e.description.length - over())) };
  }
  while (over() > 0 && (e.fields?.length ?? 0) > 0) {
    const fields = e.fields ?? [];
    const widest = fields.reduce((w, f, i) => (f.value.length > fields[w].value.length ? i : w), 0);
    const cut = Math.max(1, fields[widest].value.length - over());
    e = { ...e, fields: fields.map((f, i) => (i === widest ? { ...f, value: truncate(f.value, cut) } : f)) };
    if (cut === 1) e = { ...e, fields: fields.filter((_, i) => i !== widest) };
  }
  return e;
}

/** The opening message of a thread: who, where, what (the forum post's starter, or the text channel message). */
export function summary(pr: PrView, status: PrStatus, config: BridgeConfig): OutboundMessage {
  const mentions = new Mentions(config.users);
  const fields = [
    ...(status === 'open' ? [] : [{ name: 'Status', value: STATUS_LABEL[status], inline: true }]),
    ...[branchLabel(pr)].flatMap((v) => (v === undefined ? [] : [{ name: 'Branch', value: v, inline: true }])),
    listField(
      'Labels',
      pr.labels.map((l) => inline(l, 100)),
    ),
    listField('Reviewers', [
      ...(pr.requestedReviewers?.users ?? []).map((u) => inline(u, 64)),
      ...(pr.requestedReviewers?.teams ?? []).map((t) => `${inline(t, 64)} (team)`),
    ]),
  ].flatMap((f) => (f === undefined ? [] : [f]));
  const description = block(pr.body, 1500, 20);
  const url = safeUrl(pr.url);
  const embed = fitEmbed({
    title: truncate(`#${pr.number} ${inline(pr.title, LIMITS.embedTitle)}`, LIMITS.embedTitle),
    ...(url === undefined ? {} : { url }),
    description: description === '' ? '*No description provided.*' : description,
    color: COLORS[status],
    author: {
      name: plain(pr.author.login, 64),
      ...(/^[A-Za-z0-9-]+$/.test(pr.author.login) ? { url: `https://github.com/${pr.author.login}` } : {}),
    },
    fields,
    footer: { text: plain(pr.repository.fullName, 200) },
  });
  const content = `🔀 Pull request by ${mentions.name(pr.author.login)} in ${inline(pr.repository.fullName, 200)}${linkSuffix('open on GitHub', pr.url)}`;
  return message(content, mentions, [embed]);
}

// ---------------------------------------------------------------- notes

/** Excerpt budget of a note (its quoted part). */
const NOTE_EXCERPT = 600;

/**
 * A short note: one line built by `line` (which renders logins through `m`), then an optional quoted excerpt
 * of user markdown.
 */
export function note(
  config: BridgeConfig,
  line: (m: Mentions) => string,
  excerpt?: string,
  excerptMax = NOTE_EXCERPT,
): OutboundMessage {
  const mentions = new Mentions(config.users);
  const head = line(mentions);
  const quoted = excerpt === undefined ? '' : block(excerpt, excerptMax, 12);
  return message(quoted === '' ? head : `${head}\n>>> ${quoted}`, mentions);
}

// ---------------------------------------------------------------- forwarded comments

const DIFF_LINES = 8;
const DIFF_MAX = 700;

/** `path:line` (or `path:start-end`) as a code span. */
export function location(path: string, line?: number, startLine?: number): string {
  const range =
    line === undefined ? '' : startLine !== undefined && startLine < line ? `:${startLine}-${line}` : `:${line}`;
  return code(`${path}${range}`, 200);
}

/** The last lines of a diff hunk in a ```diff fence that user text cannot close. Empty when there is no hunk. */
export function diffExcerpt(diffHunk: string): string {
  const lines = diffHunk.replace(/\r\n?/g, '\n').split('\n');
  const tail = lines.slice(-DIFF_LINES).map((l) => truncate(l, 160));
  const body = neutraliseFences(neutraliseMentions(tail.join('\n'))).trimEnd();
  if (body.trim() === '') return '';
  return '```diff\n' + truncate(body, DIFF_MAX) + '\n```';
}

/** A forwarded comment: a header line, an optional code excerpt, then the comment body in the remaining budget. */
export function forwarded(
  config: BridgeConfig,
  header: (m: Mentions) => string,
  body: string,
  excerpt = '',
): OutboundMessage {
  const mentions = new Mentions(config.users);
  const head = [header(mentions), excerpt].filter((s) => s !== '').join('\n');
  const budget = LIMITS.content - head.length - 1;
  const text = budget > 0 ? block(body, budget) : '';
  return message(text === '' ? head : `${head}\n${text}`, mentions);
}
