/**
 * A seeded generator of hostile webhook requests. Each one is a real, correctly signed GitHub delivery with
 * exactly one defect (body, signature, headers, encoding, size, JSON, delivery id), tagged with its category
 * and the status the design (§3) prescribes for it.
 */
import { createHmac } from 'node:crypto';
import { sign } from '../../lambdas/core/signature';
import { seededRandom } from '../../local/discord-emulator/faults';
import { example, prPayload } from '../helpers/payloads';
import type { SignedRequest } from '../helpers/signed-request';
import { signedRequest } from '../helpers/signed-request';

export const SECRET = 'security-suite-current-secret-5b7e2c';
export const PREVIOUS_SECRET = 'security-suite-previous-secret-a91d04';
/** The ingest body limit used by the suite (small, so oversize cases stay cheap). */
export const MAX_BODY_BYTES = 64 * 1024;

/** Deterministic PRNG (the emulator's seeded generator, mulberry32). */
export const prng = seededRandom;

export interface Rng {
  float(): number;
  int(maxExclusive: number): number;
  pick<T>(items: readonly T[]): T;
}

export function rng(seed: number): Rng {
  const next = prng(seed);
  const int = (max: number) => Math.floor(next() * max);
  return { float: next, int, pick: (items) => items[int(items.length)] as (typeof items)[number] };
}

/** Where the defect is applied: the plain request, or the API Gateway event (only the Lambda handler sees it). */
export type Transport = 'request' | 'base64-flag-false' | 'base64-flag-true-raw';

export interface BadRequest {
  readonly category: Category;
  readonly expected: 400 | 401 | 413;
  readonly request: SignedRequest;
  /** How the request travels to the Lambda handler; `request` ones also go straight into `acceptWebhook`. */
  readonly transport: Transport;
}

export const CATEGORIES = [
  'body: one byte mutated',
  'body: one byte appended',
  'signature: one hex digit mutated',
  'signature: truncated',
  'signature: empty',
  'signature: non-hex',
  'signature: multibyte',
  'signature: uppercase SHA256= prefix',
  'signature: sha1 only (X-Hub-Signature)',
  'signature: duplicated (comma-joined)',
  'signature: other secret',
  'signature: no sha256= prefix',
  'header missing: X-Hub-Signature-256',
  'header missing: X-GitHub-Event',
  'header missing: X-GitHub-Delivery',
  'base64: encoded body, flag false',
  'base64: raw body, flag true',
  'oversize body (validly signed)',
  'invalid JSON after a valid signature',
  'JSON of the wrong shape after a valid signature',
  'delivery id: too long',
  'delivery id: odd characters',
  'event name: odd characters',
] as const;
export type Category = (typeof CATEGORIES)[number];

const EXPECTED: Readonly<Record<Category, 400 | 401 | 413>> = {
  'body: one byte mutated': 401,
  'body: one byte appended': 401,
  'signature: one hex digit mutated': 401,
  'signature: truncated': 401,
  'signature: empty': 401,
  'signature: non-hex': 401,
  'signature: multibyte': 401,
  'signature: uppercase SHA256= prefix': 401,
  'signature: sha1 only (X-Hub-Signature)': 401,
  'signature: duplicated (comma-joined)': 401,
  'signature: other secret': 401,
  'signature: no sha256= prefix': 401,
  'header missing: X-Hub-Signature-256': 401,
  'header missing: X-GitHub-Event': 400,
  'header missing: X-GitHub-Delivery': 400,
  'base64: encoded body, flag false': 401,
  'base64: raw body, flag true': 401,
  'oversize body (validly signed)': 413,
  'invalid JSON after a valid signature': 400,
  'JSON of the wrong shape after a valid signature': 400,
  'delivery id: too long': 400,
  'delivery id: odd characters': 400,
  'event name: odd characters': 400,
};

/** Real deliveries the defects are applied to (each valid as is: the suite checks they are accepted). */
let bases: readonly { readonly event: string; readonly body: Buffer }[] | undefined;
export function basePayloads(): readonly { readonly event: string; readonly body: Buffer }[] {
  bases ??= buildBasePayloads();
  return bases;
}

function buildBasePayloads(): readonly { readonly event: string; readonly body: Buffer }[] {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
  const comment = example('issue_comment', 'created');
  Object.assign(comment.issue, {
    pull_request: { url: 'https://api.github.com/repos/Codertocat/Hello-World/pulls/1' },
  });
  return [
    { event: 'pull_request', body: json(example('pull_request', 'opened')) },
    { event: 'pull_request', body: json(prPayload({ action: 'labeled', title: 'Ünïcödé 🚀 title' })) },
    { event: 'pull_request_review', body: json(example('pull_request_review', 'submitted')) },
    { event: 'pull_request_review_comment', body: json(example('pull_request_review_comment', 'created')) },
    { event: 'issue_comment', body: json(comment) },
    // Pretty-printed, as GitHub's "application/json" content type sends it.
    { event: 'pull_request', body: Buffer.from(JSON.stringify(example('pull_request', 'closed'), null, 2), 'utf8') },
  ];
}

const HEX = '0123456789abcdef';
const NON_HEX = 'ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+-=. ';
const MULTIBYTE = ['é', 'ß', '日', '本', '🙂', '€', 'ﬀ', '\u0663', '\uff10', '\u200b'];
const ODD_ID_CHARS = [
  ' ',
  '/',
  '.',
  '..',
  '%2F',
  '\\',
  '"',
  "'",
  '<',
  '>',
  '\t',
  '\u00e9',
  '日',
  '🙂',
  ':',
  ';',
  '#',
  '+',
  '=',
];
const ODD_EVENT_CHARS = [' ', '/', '\\', '"', '<', '\u00e9', '#', '?', '*'];

function replaceAt(text: string, index: number, char: string): string {
  return text.slice(0, index) + char + text.slice(index + 1);
}

function uuidLike(r: Rng): string {
  const hex = (n: number) => Array.from({ length: n }, () => HEX[r.int(16)]).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

/** One bad request of `category`, built from a random base payload. */
export function makeBadRequest(category: Category, r: Rng): BadRequest {
  const base = r.pick(basePayloads());
  const deliveryId = uuidLike(r);
  const signed = (headers: Record<string, string | undefined> = {}, body: Buffer = base.body, secret = SECRET) =>
    signedRequest({ event: base.event, payload: body, secret, deliveryId, headers });
  const valid = signed();
  const goodSig = valid.headers['x-hub-signature-256'] ?? '';
  const hex = goodSig.slice('sha256='.length);
  const bad = (request: SignedRequest, transport: Transport = 'request'): BadRequest => ({
    category,
    expected: EXPECTED[category],
    request,
    transport,
  });

  switch (category) {
    case 'body: one byte mutated': {
      const body = Buffer.from(base.body);
      const i = r.int(body.length);
      body[i] = (body[i] ?? 0) ^ (1 + r.int(255));
      return bad({ headers: valid.headers, body });
    }
    case 'body: one byte appended':
      return bad({ headers: valid.headers, body: Buffer.concat([base.body, Buffer.from([r.int(256)])]) });
    case 'signature: one hex digit mutated': {
      const i = r.int(64);
      const current = hex[i] ?? '0';
      const others = HEX.replace(current, '');
      return bad(signed({ 'x-hub-signature-256': `sha256=${replaceAt(hex, i, r.pick([...others]))}` }));
    }
    case 'signature: truncated':
      return bad(signed({ 'x-hub-signature-256': goodSig.slice(0, r.int(goodSig.length)) }));
    case 'signature: empty':
      return bad(signed({ 'x-hub-signature-256': r.pick(['', '', ' ', 'sha256=']) }));
    case 'signature: non-hex': {
      const chars = Array.from({ length: 64 }, (_, i) => (r.float() < 0.3 ? r.pick([...NON_HEX]) : hex[i]));
      if (chars.every((c, i) => c === hex[i])) chars[r.int(64)] = 'z';
      return bad(signed({ 'x-hub-signature-256': `sha256=${chars.join('')}` }));
    }
    case 'signature: multibyte': {
      const i = r.int(64);
      return bad(signed({ 'x-hub-signature-256': `sha256=${replaceAt(hex, i, r.pick(MULTIBYTE))}` }));
    }
    case 'signature: uppercase SHA256= prefix':
      return bad(signed({ 'x-hub-signature-256': `${r.pick(['SHA256', 'Sha256', 'sHa256'])}=${hex}` }));
    case 'signature: sha1 only (X-Hub-Signature)': {
      const sha1 = createHmac('sha1', SECRET).update(base.body).digest('hex');
      return bad(signed({ 'x-hub-signature-256': undefined, 'x-hub-signature': `sha1=${sha1}` }));
    }
    case 'signature: duplicated (comma-joined)': {
      const other = sign('not-the-secret', base.body);
      const joined = r.pick([
        `${goodSig}, ${goodSig}`,
        `${goodSig},${other}`,
        `${other}, ${goodSig}`,
        `${goodSig} ${goodSig}`,
      ]);
      return bad(signed({ 'x-hub-signature-256': joined }));
    }
    case 'signature: other secret':
      return bad(signed({}, base.body, r.pick(['', ' ', `${SECRET} `, SECRET.toUpperCase(), 'x', SECRET.slice(1)])));
    case 'signature: no sha256= prefix':
      return bad(signed({ 'x-hub-signature-256': r.pick([hex, `sha256:${hex}`, `sha256 =${hex}`, `sha512=${hex}`]) }));
    case 'header missing: X-Hub-Signature-256':
      return bad(signed({ 'x-hub-signature-256': undefined }));
    case 'header missing: X-GitHub-Event':
      return bad(signed({ 'x-github-event': r.pick([undefined, '']) }));
    case 'header missing: X-GitHub-Delivery':
      return bad(signed({ 'x-github-delivery': r.pick([undefined, '']) }));
    case 'base64: encoded body, flag false':
      return bad(valid, 'base64-flag-false');
    case 'base64: raw body, flag true':
      return bad(valid, 'base64-flag-true-raw');
    case 'oversize body (validly signed)': {
      const pad = Buffer.alloc(MAX_BODY_BYTES - base.body.length + 1 + r.int(4096), 0x20);
      return bad(signed({}, Buffer.concat([base.body, pad])));
    }
    case 'invalid JSON after a valid signature': {
      const text = base.body.toString('utf8');
      const variants: Buffer[] = [
        Buffer.alloc(0),
        Buffer.from(text.slice(0, 1 + r.int(text.length - 2)), 'utf8'),
        Buffer.from(`${text}}`, 'utf8'),
        Buffer.from(`payload=${encodeURIComponent(text)}`, 'utf8'),
        Buffer.from(text.replace('{', "{'"), 'utf8'),
        Buffer.concat([base.body.subarray(0, 20), Buffer.from([0xc3, 0x28, 0xff]), base.body.subarray(20)]),
        Buffer.from('\u0000'.repeat(1 + r.int(16)), 'utf8'),
      ];
      return bad(signed({}, r.pick(variants)));
    }
    case 'JSON of the wrong shape after a valid signature': {
      const shapes = ['null', '[]', '"pull_request"', '42', '{}', '{"repository":{"id":"1","full_name":"a/b"}}'];
      return bad(
        signedRequest({
          event: 'pull_request',
          payload: Buffer.from(r.pick(shapes), 'utf8'),
          secret: SECRET,
          deliveryId,
        }),
      );
    }
    case 'delivery id: too long': {
      const id = Array.from({ length: 101 + r.int(400) }, () => HEX[r.int(16)]).join('');
      return bad(signed({ 'x-github-delivery': id }));
    }
    case 'delivery id: odd characters': {
      const i = r.int(deliveryId.length);
      const id = deliveryId.slice(0, i) + r.pick(ODD_ID_CHARS) + deliveryId.slice(i);
      return bad(signed({ 'x-github-delivery': id }));
    }
    case 'event name: odd characters':
      return bad(signed({ 'x-github-event': `${base.event}${r.pick(ODD_EVENT_CHARS)}` }));
  }
}

/** The body bytes ingest sees once the handler has decoded the API Gateway event (what `transport` does to them). */
export function deliveredBody(bad: BadRequest): Buffer {
  const { body } = bad.request;
  if (bad.transport === 'base64-flag-false') return Buffer.from(body.toString('base64'), 'utf8');
  if (bad.transport === 'base64-flag-true-raw') return Buffer.from(body.toString('utf8'), 'base64');
  return body;
}

/** `count` bad requests, categories in turn (so each gets count / categories), from `seed`. */
export function* badRequests(count: number, seed: number): Generator<BadRequest> {
  const r = rng(seed);
  for (let i = 0; i < count; i++) yield makeBadRequest(CATEGORIES[i % CATEGORIES.length] as Category, r);
}
