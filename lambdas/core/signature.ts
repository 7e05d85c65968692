/**
 * GitHub webhook signatures (`X-Hub-Signature-256`): HMAC-SHA256 over the raw request bytes,
 * compared in constant time. Never throws: anything malformed is simply "not verified".
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * True when `header` is `sha256=<hex>` and matches the HMAC of `rawBody` under one of `secrets`
 * (the current secret and, during a rotation, the previous one). Every secret is tried.
 */
export function verifySignature(secrets: readonly string[], rawBody: Uint8Array, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const match = SIGNATURE.exec(header);
  if (!match) return false;
  const received = Buffer.from(match[1], 'hex');
  let verified = false;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (expected.length === received.length && timingSafeEqual(expected, received)) verified = true;
  }
  return verified;
}

/** The `X-Hub-Signature-256` value GitHub would send for `body` (tests and local samples). */
export function sign(secret: string, body: Uint8Array | string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}
