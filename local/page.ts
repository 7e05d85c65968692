/**
 * The local page: server-rendered HTML fragments (deliveries, one delivery, the preview Discord) and a small
 * inline script that polls them and posts the buttons. No build step. Every piece of text that comes from a
 * payload, a header or Discord goes through {@link esc} (or {@link markdown}, which escapes first).
 */
import { z } from 'zod';
import type { Action } from '../lambdas/core/types';
import type { ChannelView, EmulatorSnapshot, MessageView, ThreadView } from './discord-emulator';
import type { DeliveryRecord, DiscordCall } from './history';
import { SAMPLES } from './samples';

export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const json = (value: unknown): string => esc(JSON.stringify(value, null, 2) ?? 'undefined');

function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

function safeUrl(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- Discord markdown (subset)

export interface MentionNames {
  /** Discord user id → display name. */
  readonly users: ReadonlyMap<string, string>;
}

/** Inline markdown on already-escaped text: code, bold, italics, strikethrough, links, mentions. */
function inline(escaped: string, names: MentionNames, pinged: ReadonlySet<string>): string {
  const parts = escaped.split(/(`[^`\n]+`)/);
  return parts
    .map((part) => {
      if (/^`[^`\n]+`$/.test(part)) return `<code>${part.slice(1, -1)}</code>`;
      return part
        .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
        .replace(/(^|[^*])\*([^*\n]+)\*/g, '$1<em>$2</em>')
        .replace(/~~([^~\n]+)~~/g, '<del>$1</del>')
        .replace(/\[([^\]\n]+)\]\((?:&lt;)?(https?:\/\/[^\s)]+?)(?:&gt;)?\)/g, (_m, label: string, href: string) => {
          // `href` is escaped text: undo the entity for `&` only to validate, keep it escaped in the attribute.
          const url = safeUrl(href.replace(/&amp;/g, '&'));
          return url === undefined ? `${label} (${href})` : `<a href="${esc(url)}" rel="noreferrer">${label}</a>`;
        })
        .replace(/&lt;@!?(\d{15,20})&gt;/g, (_m, id: string) => {
          const name = names.users.get(id) ?? `user-${id.slice(-6)}`;
          const cls = pinged.has(id) ? 'mention pinged' : 'mention';
          return `<span class="${cls}" title="${esc(id)}">@${esc(name)}</span>`;
        });
    })
    .join('');
}

/** Discord-flavoured markdown → HTML; the input is raw text, escaped here before anything else. */
export function markdown(text: string, names: MentionNames, pinged: ReadonlySet<string> = new Set()): string {
  const out: string[] = [];
  const blocks = text.split(/```/);
  blocks.forEach((block, i) => {
    if (i % 2 === 1) {
      const body = block.replace(/^[\w+-]*\n/, '');
      out.push(`<pre class="codeblock">${esc(body)}</pre>`);
      return;
    }
    let quoteRest = false;
    const lines = block.split('\n').map((line) => {
      const blockQuote = /^>>>\s?(.*)$/.exec(line);
      if (blockQuote) quoteRest = true;
      if (quoteRest) {
        return `<span class="quote">${inline(esc(blockQuote ? blockQuote[1] : line), names, pinged)}</span>`;
      }
      const quote = /^>\s?(.*)$/.exec(line);
      if (quote) return `<span class="quote">${inline(esc(quote[1]), names, pinged)}</span>`;
      const heading = /^(#{1,3})\s+(.*)$/.exec(line);
      if (heading) return `<strong class="h${heading[1].length}">${inline(esc(heading[2]), names, pinged)}</strong>`;
      const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
      if (bullet) return `• ${inline(esc(bullet[1]), names, pinged)}`;
      const subtext = /^-#\s+(.*)$/.exec(line);
      if (subtext) return `<small>${inline(esc(subtext[1]), names, pinged)}</small>`;
      return inline(esc(line), names, pinged);
    });
    out.push(lines.join('<br>'));
  });
  return out.join('');
}

// ---------------------------------------------------------------- Discord view

const embedSchema = z
  .object({
    title: z.string().optional(),
    description: z.string().optional(),
    url: z.string().optional(),
    color: z.number().optional(),
    timestamp: z.string().optional(),
    author: z.object({ name: z.string(), url: z.string().optional() }).partial().optional(),
    footer: z.object({ text: z.string() }).partial().optional(),
    fields: z
      .array(z.object({ name: z.string(), value: z.string(), inline: z.boolean().optional() }).partial())
      .optional(),
  })
  .partial();

function renderEmbed(raw: unknown, names: MentionNames): string {
  const parsed = embedSchema.safeParse(raw);
  if (!parsed.success) return '';
  const e = parsed.data;
  const color = e.color === undefined ? '#4f545c' : `#${e.color.toString(16).padStart(6, '0').slice(-6)}`;
  const url = e.url === undefined ? undefined : safeUrl(e.url);
  const title =
    e.title === undefined
      ? ''
      : url === undefined
        ? `<div class="embed-title">${esc(e.title)}</div>`
        : `<div class="embed-title"><a href="${esc(url)}" rel="noreferrer">${esc(e.title)}</a></div>`;
  const fields = (e.fields ?? [])
    .map(
      (f) =>
        `<div class="embed-field${f.inline ? ' inline' : ''}"><div class="embed-field-name">${esc(f.name ?? '')}</div><div>${markdown(f.value ?? '', names)}</div></div>`,
    )
    .join('');
  return `<div class="embed" style="border-left-color:${esc(color)}">
${e.author?.name ? `<div class="embed-author">${esc(e.author.name)}</div>` : ''}${title}
${e.description ? `<div class="embed-description">${markdown(e.description, names)}</div>` : ''}
${fields ? `<div class="embed-fields">${fields}</div>` : ''}
${e.footer?.text || e.timestamp ? `<div class="embed-footer">${esc([e.footer?.text, e.timestamp].filter(Boolean).join(' • '))}</div>` : ''}
</div>`;
}

function renderMessage(m: MessageView, names: MentionNames, byId: ReadonlyMap<string, MessageView>): string {
  if (m.deleted) return `<div class="msg deleted">message ${esc(m.id)} deleted</div>`;
  const author = names.users.get(m.authorId) ?? `user-${m.authorId.slice(-6)}`;
  const replied = m.replyTo === null ? undefined : byId.get(m.replyTo);
  const reply =
    m.replyTo === null
      ? ''
      : `<div class="reply">↪ ${replied ? esc(replied.content.slice(0, 80) || '(embed)') : 'original message'}</div>`;
  const pinged = new Set(m.mentions);
  return `<div class="msg" data-message-id="${esc(m.id)}">${reply}<div class="msg-head"><span class="author">${esc(author)}</span> <span class="bot">BOT</span> <span class="when">${esc(m.createdAt.slice(0, 19).replace('T', ' '))}</span>${m.editedAt ? ' <span class="edited">(edited)</span>' : ''}</div>
<div class="content">${markdown(m.content, names, pinged)}</div>${m.embeds.map((e) => renderEmbed(e, names)).join('')}</div>`;
}

function renderThread(t: ThreadView, starter: MessageView | undefined, names: MentionNames): string {
  const byId = new Map(t.messages.map((m) => [m.id, m]));
  const messages = [...(starter && !t.messages.some((m) => m.id === starter.id) ? [starter] : []), ...t.messages];
  const badges = [
    ...t.appliedTags.map((tag) => `<span class="tag">${esc(tag)}</span>`),
    t.archived ? '<span class="badge">archived</span>' : '',
    t.locked ? '<span class="badge">🔒 locked</span>' : '',
    t.private ? '<span class="badge warn">private</span>' : '',
    t.deleted ? '<span class="badge warn">deleted</span>' : '',
  ].join(' ');
  return `<details class="thread" data-thread-id="${esc(t.id)}" open><summary><span class="thread-name">🧵 ${esc(t.name)}</span> ${badges} <span class="muted">${messages.length} messages</span></summary>
${messages.map((m) => renderMessage(m, names, byId)).join('\n')}</details>`;
}

function renderChannel(channel: ChannelView, threads: readonly ThreadView[], names: MentionNames): string {
  const mine = threads.filter((t) => t.parentId === channel.id && !t.deleted);
  const starters = new Map(channel.messages.map((m) => [m.id, m]));
  const icon = channel.kind === 'forum' ? '🗂' : '#';
  const tags =
    channel.kind === 'forum' && channel.tags.length > 0
      ? `<div class="muted">tags: ${channel.tags.map((t) => `<span class="tag">${esc(t.name)}</span>`).join(' ')}</div>`
      : '';
  return `<section class="channel" data-channel-id="${esc(channel.id)}"><h3>${icon} ${esc(channel.name)} <span class="muted">${channel.kind} channel</span></h3>${tags}
${mine.length === 0 ? '<p class="muted">No threads yet.</p>' : mine.map((t) => renderThread(t, starters.get(t.id), names)).join('\n')}</section>`;
}

export function renderDiscord(snapshot: EmulatorSnapshot | undefined, names: MentionNames): string {
  if (snapshot === undefined) {
    return '<p class="muted">Real Discord in use: look at your server. Each delivery lists the requests it made.</p>';
  }
  const guild = snapshot.guilds[0];
  return `<div class="guild"><h2>${esc(guild?.name ?? 'Discord')} <span class="muted">preview (emulated Discord, starts empty on each start)</span></h2>
${snapshot.channels
  .filter((c) => !c.deleted)
  .map((c) => renderChannel(c, snapshot.threads, names))
  .join('\n')}</div>`;
}

// ---------------------------------------------------------------- deliveries

function label(r: Pick<DeliveryRecord, 'event' | 'action'>): string {
  return r.action === undefined ? r.event : `${r.event}.${r.action}`;
}

export interface ListState {
  readonly records: readonly DeliveryRecord[];
  readonly rejections: { readonly count: number; readonly last?: string };
}

export function renderDeliveries({ records, rejections }: ListState): string {
  const rejected =
    rejections.count === 0
      ? ''
      : `<p class="rejected">${rejections.count} request(s) refused at ingest; last: ${esc(rejections.last ?? '')}</p>`;
  if (records.length === 0) {
    return `${rejected}<p class="empty">No deliveries yet. Click a sample button above, or point a GitHub webhook at <code>/webhooks/github</code> (see the terminal for the secret).</p>`;
  }
  const rows = records
    .map(
      (r) => `<tr class="delivery" data-delivery-id="${esc(r.id)}" tabindex="0">
<td>${esc(time(r.receivedAt))}</td><td>${esc(label(r))}${r.replayOf ? ' <span class="badge">replay</span>' : ''}</td>
<td>${esc(r.repository ?? '')}${r.prNumber === undefined ? '' : `#${r.prNumber}`}</td>
<td><span class="status ${esc(r.status)}">${esc(r.status)}</span></td><td>${r.attempts}</td></tr>`,
    )
    .join('\n');
  return `${rejected}<table class="deliveries"><thead><tr><th>time (UTC)</th><th>event</th><th>PR</th><th>status</th><th>attempts</th></tr></thead><tbody>
${rows}</tbody></table>`;
}

/** One line per planned action (the page and `replay --dry-run`). */
export function describeAction(action: Action): string {
  return actionText(action).replace(/\s+/g, ' ');
}

function actionText(action: Action): string {
  switch (action.kind) {
    case 'ensureThread':
      return `ensureThread “${action.name}” tags [${action.tags.join(', ')}]`;
    case 'post':
      return `post ${action.key}${action.replyToKey ? ` (reply to ${action.replyToKey})` : ''}: ${action.message.content.slice(0, 120)}`;
    case 'edit':
      return `edit ${action.key}: ${action.message.content.slice(0, 120)}`;
    case 'delete':
      return `delete ${action.key}`;
    case 'rename':
      return `rename “${action.name}”`;
    case 'setTags':
      return `setTags [${action.tags.join(', ')}]`;
    case 'close':
      return 'close (archive + lock)';
    case 'reopen':
      return 'reopen (unlock + unarchive)';
  }
}

export function renderActions(actions: readonly Action[]): string {
  if (actions.length === 0) return '<p class="muted">none</p>';
  return `<ol class="actions">${actions.map((a) => `<li><details><summary>${esc(describeAction(a))}</summary><pre>${json(a)}</pre></details></li>`).join('')}</ol>`;
}

function renderCall(call: DiscordCall): string {
  const answer = call.ok ? `<pre>${json(call.response)}</pre>` : `<pre class="error">${esc(call.error ?? '')}</pre>`;
  return `<li class="${call.ok ? 'ok' : 'failed'}"><details><summary>attempt ${call.attempt} · ${esc(call.operation)} · ${call.ok ? 'ok' : 'failed'} · ${call.ms} ms</summary>
<div class="call"><div><h5>request</h5><pre>${json(call.request)}</pre></div><div><h5>answer</h5>${answer}</div></div></details></li>`;
}

function prettyBody(body: string | undefined): string {
  if (body === undefined) return '(not stored)';
  try {
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    return pretty.length > 300_000 ? `${pretty.slice(0, 300_000)}\n… (truncated)` : pretty;
  } catch {
    return body.slice(0, 300_000);
  }
}

export function renderDelivery(record: DeliveryRecord | undefined, body: string | undefined): string {
  if (record === undefined) return '<p class="muted">Unknown delivery.</p>';
  const id = esc(record.id);
  const replayable = record.envelope !== undefined;
  const buttons = [
    replayable ? `<button data-action="replay" data-id="${id}">Replay</button>` : '',
    replayable ? `<button data-action="dry-run" data-id="${id}">Dry run</button>` : '',
    record.status === 'dead' ? `<button data-action="redrive" data-id="${id}">Redrive</button>` : '',
  ].join(' ');
  const headers = Object.entries(record.headers)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const errors = record.errors
    .map((e) => `<li>${esc(time(e.at))} · attempt ${e.attempt}: ${esc(e.message)}</li>`)
    .join('');
  return `<div class="detail" data-detail-id="${id}"><h3>${esc(label(record))} <span class="status ${esc(record.status)}">${esc(record.status)}</span></h3>
<p class="muted">delivery ${id}${record.replayOf ? ` · replay of ${esc(record.replayOf)}` : ''} · attempts ${record.attempts}</p>
${record.reason ? `<p class="reason">${esc(record.reason)}</p>` : ''}
<div class="buttons">${buttons}</div><div class="dry-run-result"></div>
<h4>Planned actions</h4>${renderActions(record.actions)}
<h4>Discord requests</h4>${record.discord.length === 0 ? '<p class="muted">none</p>' : `<ol class="calls">${record.discord.map(renderCall).join('')}</ol>`}
<h4>Errors</h4>${errors ? `<ul class="errors">${errors}</ul>` : '<p class="muted">none</p>'}
<h4>Headers <span class="muted">(signature omitted)</span></h4><table class="headers">${headers}</table>
<details><summary><h4>Payload</h4></summary><pre>${esc(prettyBody(body))}</pre></details></div>`;
}

// ---------------------------------------------------------------- the page

export interface PageState extends ListState {
  readonly discordLine: string;
  readonly preview: boolean;
  readonly discordHtml: string;
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;background:#f2f3f5;color:#2e3338}
header{background:#1e1f22;color:#f2f3f5;padding:10px 16px}header h1{font-size:17px;margin:0 0 4px}header p{margin:0;color:#b5bac1}
main{display:grid;grid-template-columns:minmax(420px,1fr) minmax(420px,1fr);gap:12px;padding:12px}
section.panel{background:#fff;border-radius:8px;padding:10px 12px;overflow:auto;max-height:calc(100vh - 110px)}
.samples{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-bottom:8px}button{cursor:pointer;border:0;border-radius:4px;padding:5px 10px;background:#5865f2;color:#fff}
button:hover{background:#4752c4}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}
tr.delivery{cursor:pointer}tr.delivery:hover,tr.delivery.selected{background:#eef}
.status{border-radius:8px;padding:0 6px;font-size:12px;background:#ddd}.status.done{background:#c8f7c5}.status.dead{background:#f7c5c5}.status.retrying,.status.running{background:#fce8b2}.status.ignored,.status.duplicate{background:#e3e5e8}
.muted{color:#80848e;font-weight:normal;font-size:12px}pre{background:#f6f8fa;padding:6px;overflow:auto;max-height:320px;font-size:12px;white-space:pre-wrap;word-break:break-word}
.error,.rejected{color:#a12d2f}.call{display:grid;grid-template-columns:1fr 1fr;gap:6px}h4{margin:12px 0 4px}h5{margin:4px 0}
.guild{background:#313338;color:#dbdee1;border-radius:8px;padding:8px 12px}.guild h2{font-size:15px;color:#f2f3f5}.channel h3{color:#f2f3f5;font-size:14px}
.thread{background:#2b2d31;border-radius:6px;margin:6px 0;padding:6px 10px}.thread summary{cursor:pointer}.thread-name{font-weight:600;color:#f2f3f5}
.tag{background:#404249;border-radius:10px;padding:0 7px;font-size:12px}.badge{background:#4e5058;color:#fff;border-radius:3px;padding:0 5px;font-size:11px}.badge.warn{background:#da373c}
.msg{padding:6px 0;border-top:1px solid #3f4147}.msg.deleted{color:#80848e;font-style:italic}.author{font-weight:600;color:#f2f3f5}.bot{background:#5865f2;color:#fff;font-size:10px;border-radius:3px;padding:0 3px}
.when,.edited{color:#949ba4;font-size:11px}.reply{color:#949ba4;font-size:12px}.content{white-space:normal;word-break:break-word}.content code,.embed code{background:#1e1f22;padding:0 3px;border-radius:3px}
.codeblock{background:#1e1f22;color:#dbdee1}.quote{border-left:3px solid #4e5058;padding-left:6px;display:inline-block}
.mention{background:rgba(88,101,242,.3);color:#c9cdfb;border-radius:3px;padding:0 2px}.mention.pinged{background:rgba(250,168,26,.35);color:#fff}
.embed{background:#2b2d31;border-left:4px solid #4f545c;border-radius:4px;padding:6px 10px;margin-top:4px;max-width:520px;background-color:#232428}
.embed-title{font-weight:600}.embed-title a,.content a{color:#00a8fc}.embed-author,.embed-footer{font-size:12px;color:#b5bac1}.embed-fields{display:flex;flex-wrap:wrap;gap:6px}
.embed-field{flex:1 1 100%}.embed-field.inline{flex:1 1 30%}.embed-field-name{font-weight:600;font-size:12px}
.empty{padding:20px;color:#5c5e66}@media (max-width:900px){main{grid-template-columns:1fr}}
`;

const SCRIPT = `
const H = { 'x-requested-by': 'discord-pr-threads' };
let selected = null;
const last = {};
async function swap(id, url) {
  const el = document.getElementById(id);
  if (!el) return;
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) return;
  const html = await res.text();
  if (last[id] === html) return;
  const open = [...el.querySelectorAll('details[data-thread-id]')].filter(d => !d.open).map(d => d.dataset.threadId);
  last[id] = html;
  el.innerHTML = html;
  for (const tid of open) { const d = el.querySelector('details[data-thread-id="' + CSS.escape(tid) + '"]'); if (d) d.open = false; }
  if (id === 'deliveries') markSelected();
}
function markSelected() {
  for (const row of document.querySelectorAll('tr.delivery')) row.classList.toggle('selected', row.dataset.deliveryId === selected);
}
async function refresh() {
  try {
    await swap('deliveries', '/fragments/deliveries');
    await swap('discord', '/fragments/discord');
    if (selected) await swap('detail', '/fragments/deliveries/' + encodeURIComponent(selected));
  } catch (e) { document.getElementById('status').textContent = 'disconnected, retrying…'; return; }
  document.getElementById('status').textContent = '';
}
async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { ...H, 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
  const text = await res.text();
  document.getElementById('status').textContent = res.ok ? '' : 'error: ' + text;
  return { ok: res.ok, text };
}
document.addEventListener('click', async (event) => {
  const row = event.target.closest('tr.delivery');
  if (row) { selected = row.dataset.deliveryId; last.detail = null; markSelected(); await refresh(); return; }
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const { action, id, sample } = button.dataset;
  if (action === 'sample') {
    const target = document.querySelector('input[name=target]:checked');
    await post('/api/samples/' + encodeURIComponent(sample) + '?target=' + (target ? target.value : 'text'));
  } else if (action === 'replay') {
    await post('/api/deliveries/' + encodeURIComponent(id) + '/replay', { dryRun: false, wait: false });
  } else if (action === 'dry-run') {
    const { text } = await post('/api/deliveries/' + encodeURIComponent(id) + '/replay', { dryRun: true });
    const box = document.querySelector('.dry-run-result');
    if (box) { box.innerHTML = '<h4>Dry run (nothing changed)</h4>'; const pre = document.createElement('pre'); pre.textContent = text; box.appendChild(pre); }
    return;
  } else if (action === 'redrive') {
    await post('/api/deliveries/' + encodeURIComponent(id) + '/redrive');
  }
  await refresh();
});
setInterval(refresh, 1000);
`;

export function renderPage(state: PageState): string {
  const samples = SAMPLES.map(
    (s) => `<button data-action="sample" data-sample="${esc(s.name)}">${esc(s.label)}</button>`,
  ).join(' ');
  const target = state.preview
    ? `<label><input type="radio" name="target" value="text" checked> text channel</label> <label><input type="radio" name="target" value="forum"> forum channel</label>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>discord-pr-threads · local</title><style>${STYLE}</style></head><body>
<header><h1>discord-pr-threads · local</h1><p>Discord: ${esc(state.discordLine)} · webhook: <code>POST /webhooks/github</code> <span id="status"></span></p></header>
<main><section class="panel"><h2>Deliveries</h2>
<div class="samples"><strong>Send a sample event:</strong> ${samples} ${target}</div>
<div id="deliveries">${renderDeliveries(state)}</div><div id="detail"></div></section>
<section class="panel"><div id="discord">${state.discordHtml}</div></section></main>
<script>${SCRIPT}</script></body></html>`;
}
