/**
 * Secrets Manager values, fetched on first use and cached for a TTL so a rotation is picked up
 * without a redeploy. Error messages name the secret, never its value.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretCacheOptions {
  readonly client: SecretsManagerClient;
  /** How long a fetched value is served before the next call fetches it again. @default 300_000 (5 minutes) */
  readonly ttlMs?: number;
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
}

export interface SecretCache {
  /** The secret's string value (cached; concurrent callers share one fetch). */
  getSecret(arn: string): Promise<string>;
}

interface Entry {
  readonly value: string;
  readonly fetchedAt: number;
}

export function createSecretCache({ client, ttlMs = 300_000, now = Date.now }: SecretCacheOptions): SecretCache {
  const values = new Map<string, Entry>();
  const inflight = new Map<string, Promise<string>>();

  async function fetchValue(arn: string): Promise<string> {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    if (typeof out.SecretString !== 'string' || out.SecretString.length === 0) {
      throw new Error(`Secret ${arn} has no string value; put one with \`aws secretsmanager put-secret-value\`.`);
    }
    values.set(arn, { value: out.SecretString, fetchedAt: now() });
    return out.SecretString;
  }

  return {
    async getSecret(arn) {
      const known = values.get(arn);
      if (known !== undefined && now() - known.fetchedAt < ttlMs) return known.value;
      let pending = inflight.get(arn);
      if (pending === undefined) {
        pending = fetchValue(arn).finally(() => inflight.delete(arn));
        inflight.set(arn, pending);
      }
      try {
        return await pending;
      } catch (err) {
        // A failed refresh is not cached: serve the last good value and try again on the next call.
        if (known !== undefined) return known.value;
        throw err;
      }
    },
  };
}

/**
 * The webhook secrets to accept: `["current", "previous"?]`. The stored value is JSON
 * `{"current": "...", "previous": "..."}` during a rotation, or a plain string (the single current secret).
 */
export function parseWebhookSecrets(value: string): readonly string[] {
  if (value.trim().length === 0) throw new Error('The webhook secret is empty.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [value];
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return [value];
  const current = 'current' in parsed ? parsed.current : undefined;
  const previous = 'previous' in parsed ? parsed.previous : undefined;
  if (typeof current !== 'string' || current.length === 0) {
    throw new Error('The webhook secret JSON must have a non-empty "current" string.');
  }
  if (previous !== undefined && previous !== null && typeof previous !== 'string') {
    throw new Error('The webhook secret JSON "previous" must be a string when present.');
  }
  return typeof previous === 'string' && previous.length > 0 && previous !== current ? [current, previous] : [current];
}
