/** The queue message format, validated at the worker's boundary. */
import { z } from 'zod';
import { PermanentError } from './errors';
import type { Envelope } from './types';

const envelopeSchema = z.object({
  v: z.literal(1),
  deliveryId: z.string().min(1).max(100),
  event: z.string().min(1),
  action: z.string().optional(),
  repositoryId: z.number().int(),
  repository: z.string().min(1),
  prNumber: z.number().int().positive().optional(),
  groupId: z.string().min(1),
  receivedAt: z.number(),
  body: z.string().optional(),
  bodyRef: z.object({ bucket: z.string().min(1), key: z.string().min(1) }).optional(),
});

/** Parses a queue message body; a malformed one is permanent (it goes to the dead letters with this message). */
export function parseEnvelope(text: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PermanentError('Queue message is not JSON.');
  }
  const result = envelopeSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new PermanentError(
      `Queue message is not an envelope: ${issue.path.join('.') || 'message'} ${issue.message}.`,
    );
  }
  if (result.data.body === undefined && result.data.bodyRef === undefined) {
    throw new PermanentError('Queue message has neither body nor bodyRef.');
  }
  return result.data;
}
