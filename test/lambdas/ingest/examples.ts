/** Real GitHub payloads from `@octokit/webhooks-examples`, deep-copied so tests can change them freely. */
import definitions from '@octokit/webhooks-examples';

export type Payload = Record<string, unknown>;

/** The first example of `event` (with `action`, when given). */
export function example(event: string, action?: string): Payload {
  const found = definitions
    .find((d) => d.name === event)
    ?.examples.find((e) => action === undefined || ('action' in e && e.action === action));
  if (found === undefined)
    throw new Error(`No ${event}${action ? `.${action}` : ''} example in @octokit/webhooks-examples.`);
  return JSON.parse(JSON.stringify(found));
}

/** Every example of `event`. */
export function examples(event: string): Payload[] {
  const found = definitions.find((d) => d.name === event);
  if (found === undefined) throw new Error(`No ${event} examples in @octokit/webhooks-examples.`);
  return found.examples.map((e) => JSON.parse(JSON.stringify(e)));
}

/** An `issue_comment` on a pull request: GitHub sets `issue.pull_request` (the library's examples are plain issues). */
export function prComment(): Payload {
  const payload = example('issue_comment', 'created');
  const issue = payload.issue as Payload;
  issue.pull_request = {
    url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1',
    html_url: 'https://github.com/Codertocat/Hello-World/pull/1',
    diff_url: 'https://github.com/Codertocat/Hello-World/pull/1.diff',
    patch_url: 'https://github.com/Codertocat/Hello-World/pull/1.patch',
  };
  return payload;
}
