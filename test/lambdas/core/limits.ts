/** Assertions shared by the render and injection tests: Discord's limits and inert text. */
import type { Action, Embed, OutboundMessage, Plan } from '../../../lambdas/core/types';

export const MAPPED_IDS = ['400000000000000001', '400000000000000002'];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function embedStrings(e: Embed): string[] {
  return [
    e.title ?? '',
    e.description ?? '',
    e.footer?.text ?? '',
    e.author?.name ?? '',
    ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
  ];
}

function messages(a: Action): OutboundMessage[] {
  if (a.kind === 'ensureThread') return [a.starter];
  if (a.kind === 'post' || a.kind === 'edit') return [a.message];
  return [];
}

/** Every piece of text Discord would receive for this plan. */
export function allText(p: Plan): string[] {
  return p.actions.flatMap((a) => [
    ...(a.kind === 'ensureThread' || a.kind === 'rename' ? [a.name] : []),
    ...messages(a).flatMap((m) => [m.content, ...(m.embeds ?? []).flatMap(embedStrings)]),
  ]);
}

export function expectWithinLimits(p: Plan): void {
  for (const a of p.actions) {
    if (a.kind === 'ensureThread' || a.kind === 'rename') {
      expect(a.name.length).toBeLessThanOrEqual(100);
      expect(a.name.trim()).not.toBe('');
    }
    if (a.kind === 'ensureThread' || a.kind === 'setTags') expect(a.tags.length).toBeLessThanOrEqual(5);
    for (const m of messages(a)) {
      expect(m.content.length).toBeLessThanOrEqual(2000);
      for (const e of m.embeds ?? []) {
        expect(e.title?.length ?? 0).toBeLessThanOrEqual(256);
        expect(e.description?.length ?? 0).toBeLessThanOrEqual(4096);
        expect(e.fields?.length ?? 0).toBeLessThanOrEqual(25);
        for (const f of e.fields ?? []) {
          expect(f.name.length).toBeLessThanOrEqual(256);
          expect(f.value.length).toBeLessThanOrEqual(1024);
          expect(f.value.length).toBeGreaterThan(0);
        }
        expect(e.footer?.text.length ?? 0).toBeLessThanOrEqual(2048);
        expect(e.author?.name.length ?? 0).toBeLessThanOrEqual(256);
        expect(embedStrings(e).join('').length).toBeLessThanOrEqual(6000);
      }
    }
  }
  for (const s of allText(p)) expect(s).not.toMatch(LONE_SURROGATE);
}

/** No mass mention, no user/role/channel/command mention other than `<@id>` for the mapped ids; fences balanced. */
export function expectInert(p: Plan): void {
  for (const a of p.actions) {
    for (const m of messages(a)) {
      for (const id of m.mentionUserIds) expect(MAPPED_IDS).toContain(id);
      const rendered = m.content.match(/<@(\d+)>/g) ?? [];
      for (const r of rendered) expect(m.mentionUserIds).toContain(r.slice(2, -1));
      expect((m.content.match(/`{3,}/g)?.length ?? 0) % 2).toBe(0);
    }
  }
  for (const s of allText(p)) {
    expect(s).not.toMatch(/@(everyone|here)/i);
    const withoutOurs = MAPPED_IDS.reduce((t, id) => t.split(`<@${id}>`).join(''), s);
    expect(withoutOurs).not.toMatch(/<[@#/]/);
    expect(withoutOurs).not.toMatch(/<id:/i);
  }
}
