/** The queue message format, validated at the worker's boundary. */
import { PermanentError } from './errors';
import type { Envelope } from './types';
import * as z from './zod';

const nonEmpty = z.string().check(z.minLength(1));
const envelopeSchema = z.object({
  v: z.literal(1),
  deliveryId: z.string().check(z.minLength(1), z.maxLength(100)),
  event: nonEmpty,
  action: z.optional(z.string()),
  repositoryId: z.number().check(z.int()),
  repository: nonEmpty,
  prNumber: z.optional(z.number().check(z.int(), z.positive())),
  groupId: nonEmpty,
  receivedAt: z.number(),
  body: z.optional(z.string()),
  bodyRef: z.optional(z.object({ bucket: nonEmpty, key: nonEmpty })),
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
