import type { DeliveryRecord } from '../../local/history';
import { esc, markdown, renderDeliveries, renderDelivery } from '../../local/page';

const names = { users: new Map([['123456789012345678', 'octocat']]) };

describe('page rendering', () => {
  test('escapes every HTML-significant character', () => {
    expect(esc(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  test('markdown escapes first, then renders the Discord subset', () => {
    expect(markdown('<script>alert(1)</script> **bold** `a<b>`', names)).toBe(
      '&lt;script&gt;alert(1)&lt;/script&gt; <strong>bold</strong> <code>a&lt;b&gt;</code>',
    );
    expect(markdown('```js\n<b>x</b>\n```', names)).toBe('<pre class="codeblock">&lt;b&gt;x&lt;/b&gt;\n</pre>');
    expect(markdown('> quoted <i>', names)).toBe('<span class="quote">quoted &lt;i&gt;</span>');
  });

  test('mentions show the mapped name; only pinged users are highlighted', () => {
    expect(markdown('hi <@123456789012345678>', names, new Set(['123456789012345678']))).toBe(
      'hi <span class="mention pinged" title="123456789012345678">@octocat</span>',
    );
    expect(markdown('<@987654321098765432>', names)).toContain('>@user-765432</span>');
  });

  test('links are kept only for http(s) URLs', () => {
    expect(markdown('[docs](<https://example.com/a?b=1&c=2>)', names)).toBe(
      '<a href="https://example.com/a?b=1&amp;c=2" rel="noreferrer">docs</a>',
    );
    expect(markdown('[x](javascript:alert(1))', names)).not.toContain('<a');
  });

  test('delivery rows and details escape what came from GitHub', () => {
    const record: DeliveryRecord = {
      id: 'd-1',
      event: 'issue_comment',
      action: '<b>created</b>',
      repository: 'o/<r>',
      prNumber: 2,
      receivedAt: 0,
      updatedAt: 0,
      headers: { 'x-evil': '"><script>' },
      status: 'done',
      attempts: 1,
      actions: [],
      discord: [],
      errors: [],
    };
    const list = renderDeliveries({ records: [record], rejections: { count: 0 } });
    expect(list).toContain('issue_comment.&lt;b&gt;created&lt;/b&gt;');
    expect(list).toContain('o/&lt;r&gt;#2');
    const detail = renderDelivery(record, '{"body":"<img src=x>"}');
    expect(detail).toContain('&quot;&gt;&lt;script&gt;');
    expect(detail).toContain('&lt;img src=x&gt;');
    expect(detail).not.toContain('<img');
  });
});
