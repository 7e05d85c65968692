/** Envelopes for tests, built exactly as ingest builds them (classification + raw body). */
import { classify, toEnvelope } from '../../lambdas/core/classify';
import type { Envelope } from '../../lambdas/core/types';

export function envelopeFor(event: string, payload: unknown, deliveryId: string, receivedAt = Date.now()): Envelope {
  const c = classify(event, payload);
  if (!c.handled) throw new Error(`no envelope for an ignored delivery: ${c.reason}`);
  return toEnvelope(c, { deliveryId, event, body: JSON.stringify(payload), receivedAt });
}
