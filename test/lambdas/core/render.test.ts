import { parseDelivery } from '../../../lambdas/core/events';
import {
  block,
  diffExcerpt,
  escapeMarkdown,
  fitEmbed,
  inline,
  Mentions,
  neutraliseFences,
  neutraliseMentions,
  summary,
  threadName,
  truncate,
} from '../../../lambdas/core/render';
import type { Plan } from '../../../lambdas/core/types';
import { CHANNEL, delivery, OTHER_CHANNEL, prPayload, testConfig } from '../../helpers/payloads';
import { expectInert, expectWithinLimits } from './limits';

const repo = { id: 1, fullName: 'acme/widgets', name: 'widgets' };
const name = (title: string, config = testConfig(), channel = CHANNEL) =>
  threadName(config, channel, { repository: repo, number: 805, title });

describe('truncate', () => {
  test('leaves short text alone', () => {
    expect(truncate('hello', 5)).toBe('hello');
  });

  test('cuts to the limit with an ellipsis', () => {
    const out = truncate('abcdefghij', 5);
    expect(out).toBe('abcd…');
  });

  test('never splits a surrogate pair', () => {
    const out = truncate('😀'.repeat(10), 6);
    expect(out).toBe('😀😀…');
    expect(out.length).toBeLessThanOrEqual(6);
  });
});

describe('thread names', () => {
  test('PR #805 · Title', () => {
    expect(name('Add the widget')).toBe('PR #805 · Add the widget');
  });

  test('collapse whitespace and control characters', () => {
    expect(name('  Add\n\n the\twidget\u0007 ')).toBe('PR #805 · Add the widget');
  });

  test('never empty', () => {
    expect(name('')).toBe('PR #805');
    expect(name(' \n\t ')).toBe('PR #805');
  });

  test('at most 100 characters, ending with an ellipsis', () => {
    const n = name('x'.repeat(300));
    expect(n).toHaveLength(100);
    expect(n.endsWith('…')).toBe(true);
    expect(n.startsWith('PR #805 · xxx')).toBe(true);
  });

  test('emoji are not split at the limit', () => {
    const n = name('🚀'.repeat(80));
    expect(n.length).toBeLessThanOrEqual(100);
    expect(n).toMatch(/^PR #805 · (🚀)+…$/u);
  });

  test('repository prefix when the channel serves several repositories', () => {
    const shared = testConfig({ channels: { 'acme/widgets': CHANNEL, 'acme/gadgets': CHANNEL } });
    expect(name('Add the widget', shared)).toBe('widgets#805 · Add the widget');
    expect(name('Add the widget', shared, OTHER_CHANNEL)).toBe('PR #805 · Add the widget');
    expect(name('Add the widget', testConfig({ repoInName: 'always' }))).toBe('widgets#805 · Add the widget');
    expect(
      name(
        'Add the widget',
        testConfig({ repoInName: 'never', channels: { 'acme/widgets': CHANNEL, 'acme/gadgets': CHANNEL } }),
      ),
    ).toBe('PR #805 · Add the widget');
  });

  test('mentions in titles do not survive in thread names', () => {
    expect(name('@everyone <@&123> look')).not.toMatch(/@everyone|<@&/);
  });
});

describe('inert text', () => {
  test.each([
    ['@everyone', /@everyone/],
    ['@here', /@here/],
    ['@EveryOne', /@everyone/i],
    ['<@123456789012345678>', /<@\d/],
    ['<@!123456789012345678>', /<@!/],
    ['<@&123456789012345678>', /<@&/],
    ['<#123456789012345678>', /<#/],
    ['</deploy:123456789012345678>', /<\//],
    ['<id:customize>', /<id:/],
  ])('%s is neutralised', (raw, pattern) => {
    const out = neutraliseMentions(`hi ${raw} there`);
    expect(out).not.toMatch(pattern);
    expect(out.replace(/\u200b/g, '')).toBe(`hi ${raw} there`);
  });

  test('fences become a lookalike that cannot close a block', () => {
    const out = neutraliseFences('a ``` b ```` c');
    expect(out).not.toMatch(/```/);
    expect(out.replace(/\u200b/g, '')).toBe('a ``` b ```` c');
  });

  test('inline markdown is escaped: masked links, bold, code, spoilers, headings', () => {
    expect(escapeMarkdown('[link](http://x) **b** `c` ||s|| # h > q ~~s~~ _i_')).toBe(
      '\\[link\\](http://x) \\*\\*b\\*\\* \\`c\\` \\|\\|s\\|\\| \\# h \\> q \\~\\~s\\~\\~ \\_i\\_',
    );
    expect(inline('a\nb [x](y)')).toBe('a b \\[x\\](y)');
  });

  test('block closes an unbalanced fence left by truncation and respects the limit', () => {
    const text = 'intro\n```ts\n' + 'const x = 1;\n'.repeat(200) + '```\nafter';
    const out = block(text, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect((out.match(/`{3,}/g) ?? []).length % 2).toBe(0);
    expect(out.endsWith('\n```')).toBe(true);
  });

  test('block keeps balanced fences and limits lines', () => {
    expect(block('a\n```\ncode\n```', 100)).toBe('a\n```\ncode\n```');
    expect(block('1\n2\n3\n4', 100, 2)).toBe('1\n2\n…');
  });

  test('block neutralises mentions and normalises line endings', () => {
    expect(block('hi @here\r\n<@&1>', 100)).toBe('hi @\u200bhere\n<\u200b@&1>');
  });
});

describe('mentions', () => {
  test('only mapped logins are pinged, each once; actors are never pinged', () => {
    const m = new Mentions({ octocat: '400000000000000001' });
    expect(m.ping('OctoCat')).toBe('<@400000000000000001>');
    expect(m.ping('octocat')).toBe('<@400000000000000001>');
    expect(m.ping('hubot')).toBe('**hubot**');
    expect(m.name('octocat')).toBe('**octocat**');
    expect(m.userIds).toEqual(['400000000000000001']);
  });

  test('an unmapped login is inert text', () => {
    const m = new Mentions({});
    expect(m.ping('a_b*')).toBe('**a\\_b\\***');
    expect(m.userIds).toEqual([]);
  });
});

describe('diff excerpts', () => {
  test('the last lines of the hunk in a diff fence', () => {
    const hunk = ['@@ -1,10 +1,10 @@', ...Array.from({ length: 10 }, (_, i) => `+line ${i}`)].join('\n');
    expect(diffExcerpt(hunk)).toBe(
      '```diff\n' + Array.from({ length: 8 }, (_, i) => `+line ${i + 2}`).join('\n') + '\n```',
    );
  });

  test('user fences inside the hunk cannot close the block', () => {
    const out = diffExcerpt('@@ -1 +1 @@\n-```\n+```js\n+@everyone');
    expect(out.match(/`{3,}/g)).toEqual(['```', '```']);
    expect(out).not.toMatch(/@everyone/);
  });

  test('length-capped', () => {
    const out = diffExcerpt(Array.from({ length: 8 }, () => '+' + 'y'.repeat(500)).join('\n'));
    expect(out.length).toBeLessThanOrEqual(720);
    expect(out.endsWith('\n```')).toBe(true);
  });

  test('an empty hunk gives no excerpt', () => {
    expect(diffExcerpt('')).toBe('');
  });
});

describe('summary', () => {
  const view = (overrides: Parameters<typeof prPayload>[0]) => {
    const pr = parseDelivery(delivery('pull_request', prPayload(overrides)))?.pr;
    if (pr === undefined) throw new Error('no PR');
    return pr;
  };
  const asPlan = (m: ReturnType<typeof summary>): Plan => ({
    actions: [{ kind: 'ensureThread', name: 'n', starter: m, tags: [] }],
  });

  test('oversized title, body, labels and reviewers stay within every embed limit', () => {
    const pr = view({
      title: 'T'.repeat(1000),
      body: 'B'.repeat(100_000),
      labels: Array.from({ length: 100 }, (_, i) => `label-${i}-${'l'.repeat(40)}`),
      reviewers: Array.from({ length: 100 }, (_, i) => `reviewer-${i}`),
      head: 'h'.repeat(255),
      base: 'b'.repeat(255),
    });
    const m = summary(pr, 'open', testConfig());
    expectWithinLimits(asPlan(m));
    expect(m.embeds?.[0]?.title?.endsWith('…')).toBe(true);
    expect(m.embeds?.[0]?.description?.endsWith('…')).toBe(true);
  });

  test('status field only when the PR is not simply open', () => {
    const fields = (status: 'open' | 'merged') =>
      summary(view({}), status, testConfig()).embeds?.[0]?.fields?.map((f) => f.name);
    expect(fields('open')).toEqual(['Branch', 'Labels', 'Reviewers']);
    expect(fields('merged')).toEqual(['Status', 'Branch', 'Labels', 'Reviewers']);
  });

  test('a hostile summary is inert', () => {
    const evil = '@everyone <@&123456789012345678> ``` [link](http://x)';
    const m = summary(
      view({ title: evil, body: evil, labels: [evil], head: evil, reviewers: [evil] }),
      'open',
      testConfig(),
    );
    expectInert(asPlan(m));
    expect(m.embeds?.[0]?.title).toContain('\\[link\\](http://x)');
  });
});

describe('fitEmbed', () => {
  test('shrinks the description, then fields, to 6000 in total', () => {
    const fields = Array.from({ length: 10 }, (_, i) => ({ name: `f${i}`, value: 'v'.repeat(1000) }));
    const e = fitEmbed({ title: 't', description: 'd'.repeat(4000), fields });
    const total =
      (e.title?.length ?? 0) +
      (e.description?.length ?? 0) +
      (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(6000);
  });
});
