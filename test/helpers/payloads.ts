/**
 * Factories on real GitHub payloads: `example()` picks a recorded example from `@octokit/webhooks-examples`,
 * `fixture()` reads a recorded delivery from `test/fixtures/deliveries/`, `prPayload()` edits a real
 * `pull_request` example. Everything returned is a fresh deep copy, safe to modify.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import definitions from '@octokit/webhooks-examples';
import type { Label, PullRequestEvent, User, WebhookEventMap, WebhookEventName } from '@octokit/webhooks-types';
import { parseBridgeConfig } from '../../lambdas/core/config';
import type { BridgeConfig, Delivery, NoisePolicy, ThreadState } from '../../lambdas/core/types';

/** A copy of the `index`-th recorded example of `event` with `action` (any action when omitted). */
export function example<E extends WebhookEventName>(event: E, action?: string, index = 0): WebhookEventMap[E] {
  const definition = definitions.find((d) => d.name === event);
  const matching = (definition?.examples ?? []).filter(
    (p) => action === undefined || (typeof p === 'object' && p !== null && 'action' in p && p.action === action),
  );
  const found = matching[index];
  if (found === undefined) throw new Error(`No example ${event}.${action ?? '*'} #${index}`);
  return structuredClone(found) as WebhookEventMap[E];
}

const RECEIVED_AT = Date.UTC(2019, 4, 15, 15, 21, 0);

/** A delivery as the worker sees it; the action is read from the payload. */
export function delivery(event: string, payload: unknown, id = 'd0e1a2b3-0000-4000-8000-000000000001'): Delivery {
  const action =
    typeof payload === 'object' && payload !== null && 'action' in payload && typeof payload.action === 'string'
      ? payload.action
      : undefined;
  return action === undefined
    ? { id, event, receivedAt: RECEIVED_AT, payload }
    : { id, event, action, receivedAt: RECEIVED_AT, payload };
}

export interface RecordedDelivery {
  readonly headers: { readonly 'x-github-event': string; readonly 'x-github-delivery': string };
  readonly body: string;
}

export function readFixture(name: string): RecordedDelivery {
  const raw = readFileSync(join(__dirname, '..', 'fixtures', 'deliveries', `${name}.json`), 'utf8');
  return JSON.parse(raw) as RecordedDelivery;
}

/** A recorded delivery (`test/fixtures/deliveries/<name>.json`) parsed as the worker would. */
export function fixture(name: string): Delivery {
  const recorded = readFixture(name);
  return delivery(recorded.headers['x-github-event'], JSON.parse(recorded.body), recorded.headers['x-github-delivery']);
}

/** A copy of the fixture's payload, to modify. */
export function fixturePayload(name: string): Record<string, unknown> {
  return JSON.parse(readFixture(name).body) as Record<string, unknown>;
}

export function user(login: string): User {
  const base = example('pull_request', 'opened').sender;
  return { ...base, login, html_url: `https://github.com/${login}`, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
}

export function label(name: string): Label {
  return { ...example('pull_request', 'labeled').pull_request.labels[0], name };
}

export interface PrOverrides {
  readonly action?: string;
  readonly title?: string;
  readonly body?: string | null;
  readonly draft?: boolean;
  readonly state?: 'open' | 'closed';
  readonly merged?: boolean;
  readonly author?: string;
  readonly sender?: string;
  readonly labels?: readonly string[];
  readonly base?: string;
  readonly head?: string;
  /** Full name of the head repository (a fork). */
  readonly headRepo?: string;
  readonly reviewers?: readonly string[];
  readonly number?: number;
  readonly repository?: string;
}

/** A real `pull_request` example (`opened` with a label and a requested reviewer), edited by `overrides`. */
export function prPayload(overrides: PrOverrides = {}): PullRequestEvent {
  const p = example('pull_request', 'opened', 1);
  const pr = p.pull_request;
  const o = overrides;
  if (o.title !== undefined) pr.title = o.title;
  if (o.body !== undefined) pr.body = o.body;
  if (o.draft !== undefined) pr.draft = o.draft;
  if (o.state !== undefined) pr.state = o.state;
  if (o.merged !== undefined) pr.merged = o.merged;
  if (o.author !== undefined) pr.user = user(o.author);
  if (o.sender !== undefined) p.sender = user(o.sender);
  if (o.labels !== undefined) pr.labels = o.labels.map(label);
  if (o.base !== undefined) pr.base.ref = o.base;
  if (o.head !== undefined) pr.head.ref = o.head;
  if (o.headRepo !== undefined && pr.head.repo !== null) pr.head.repo.full_name = o.headRepo;
  if (o.reviewers !== undefined) pr.requested_reviewers = o.reviewers.map(user);
  if (o.number !== undefined) {
    pr.number = o.number;
    pr.html_url = `https://github.com/${p.repository.full_name}/pull/${o.number}`;
  }
  if (o.repository !== undefined) {
    p.repository.full_name = o.repository;
    p.repository.name = o.repository.split('/')[1] ?? o.repository;
  }
  return o.action === undefined ? p : ({ ...p, action: o.action } as PullRequestEvent);
}

export const GUILD = '100000000000000001';
export const CHANNEL = '200000000000000001';
export const OTHER_CHANNEL = '200000000000000002';

/** A validated config (defaults as in production) with some overrides. */
export function testConfig(
  overrides: {
    readonly users?: Record<string, string>;
    readonly channels?: Record<string, string>;
    readonly repoInName?: BridgeConfig['repoInName'];
    readonly policy?: Partial<NoisePolicy>;
  } = {},
): BridgeConfig {
  return parseBridgeConfig({
    guildId: GUILD,
    defaultChannelId: CHANNEL,
    channels: overrides.channels ?? {},
    users: overrides.users ?? {},
    repoInName: overrides.repoInName ?? 'auto',
    // Production defaults fill whatever the test leaves out.
    policy: { ...overrides.policy },
  });
}

/** The stored state of a PR whose thread exists. */
export function threadState(overrides: Partial<ThreadState> = {}): ThreadState {
  return {
    key: '186853002#2',
    version: 3,
    channelId: CHANNEL,
    threadId: '300000000000000001',
    name: 'PR #2 · Update the README with new information.',
    renames: [],
    archived: false,
    locked: false,
    tags: ['Open'],
    messages: {},
    pr: { title: 'Update the README with new information.', status: 'open', review: 'none' },
    ...overrides,
  };
}
