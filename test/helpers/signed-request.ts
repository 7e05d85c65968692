/** Factories for signed GitHub webhook requests and the API Gateway HTTP API (v2) events that carry them. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { sign } from '../../lambdas/core/signature';

export interface SignedRequestInput {
  readonly event: string;
  /** An object (serialised as JSON), or the exact body text/bytes. */
  readonly payload: unknown;
  readonly secret: string;
  /** @default a random UUID */
  readonly deliveryId?: string;
  /** Extra or replacement headers (exact names); `undefined` removes a header. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

export interface SignedRequest {
  readonly headers: Record<string, string | undefined>;
  readonly body: Buffer;
}

export function bodyBytes(payload: unknown): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

/** A request as GitHub sends it: `X-Hub-Signature-256` over the exact body bytes. */
export function signedRequest({ event, payload, secret, deliveryId, headers = {} }: SignedRequestInput): SignedRequest {
  const body = bodyBytes(payload);
  const all: Record<string, string | undefined> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/test',
    'x-github-event': event,
    'x-github-delivery': deliveryId ?? randomUUID(),
    'x-hub-signature-256': sign(secret, body),
    'x-github-hook-id': '123456',
  };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete all[name];
    else all[name] = value;
  }
  return { headers: all, body };
}

/** The HTTP API v2 event API Gateway hands to the ingest Lambda for `req`. */
export function apiGatewayEvent(
  req: SignedRequest,
  { base64 = false }: { base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/github',
    rawPath: '/webhooks/github',
    rawQueryString: '',
    headers: req.headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api-id',
      domainName: 'api-id.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'api-id',
      http: {
        method: 'POST',
        path: '/webhooks/github',
        protocol: 'HTTP/1.1',
        sourceIp: '192.30.252.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: 'request-id',
      routeKey: 'POST /webhooks/github',
      stage: '$default',
      time: '04/Dec/2025:20:00:00 +0000',
      timeEpoch: 1_764_878_400_000,
    },
    body: req.body.toString(base64 ? 'base64' : 'utf8'),
    isBase64Encoded: base64,
  };
}
