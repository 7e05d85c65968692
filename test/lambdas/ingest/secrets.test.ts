import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createSecretCache, parseWebhookSecrets } from '../../../lambdas/adapters/secrets';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhook-AbCdEf';
const sm = mockClient(SecretsManagerClient);

beforeEach(() => sm.reset());

function cache(ttlMs = 1_000) {
  let time = 0;
  const c = createSecretCache({ client: new SecretsManagerClient({}), ttlMs, now: () => time });
  return {
    getSecret: c.getSecret,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

describe('createSecretCache', () => {
  test('fetches on first use and serves the cached value within the TTL', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'first' });
    const c = cache();
    expect(await c.getSecret(ARN)).toBe('first');
    c.advance(999);
    expect(await c.getSecret(ARN)).toBe('first');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: ARN });
  });

  test('re-fetches after the TTL so a rotation is picked up without a redeploy', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'first' }).resolves({ SecretString: 'rotated' });
    const c = cache();
    expect(await c.getSecret(ARN)).toBe('first');
    c.advance(1_000);
    expect(await c.getSecret(ARN)).toBe('rotated');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test('concurrent cold-start callers share one fetch', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'first' });
    const c = cache();
    expect(await Promise.all([c.getSecret(ARN), c.getSecret(ARN), c.getSecret(ARN)])).toEqual([
      'first',
      'first',
      'first',
    ]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  test('a failed first fetch is not cached: the next call tries again', async () => {
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('Throttled')).resolves({ SecretString: 'first' });
    const c = cache();
    await expect(c.getSecret(ARN)).rejects.toThrow('Throttled');
    expect(await c.getSecret(ARN)).toBe('first');
  });

  test('a failed refresh after the TTL serves the last good value and retries on the next call', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'first' })
      .rejectsOnce(new Error('Throttled'))
      .resolves({ SecretString: 'rotated' });
    const c = cache();
    await c.getSecret(ARN);
    c.advance(5_000);
    expect(await c.getSecret(ARN)).toBe('first');
    expect(await c.getSecret(ARN)).toBe('rotated');
  });

  test('a secret without a string value is an error naming the secret, not a value', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    await expect(cache().getSecret(ARN)).rejects.toThrow(`Secret ${ARN} has no string value`);
  });
});

describe('parseWebhookSecrets', () => {
  test('a plain string is the single current secret', () => {
    expect(parseWebhookSecrets('s3cr3t-value')).toEqual(['s3cr3t-value']);
  });

  test('JSON with current only', () => {
    expect(parseWebhookSecrets('{"current":"new-one"}')).toEqual(['new-one']);
  });

  test('JSON with current and previous during a rotation (current first)', () => {
    expect(parseWebhookSecrets('{"current":"new-one","previous":"old-one"}')).toEqual(['new-one', 'old-one']);
  });

  test.each([
    ['empty previous', '{"current":"new-one","previous":""}'],
    ['null previous', '{"current":"new-one","previous":null}'],
    ['previous equal to current', '{"current":"new-one","previous":"new-one"}'],
  ])('%s yields the current secret only', (_name, value) => {
    expect(parseWebhookSecrets(value)).toEqual(['new-one']);
  });

  test('JSON that is not an object is taken as a plain secret', () => {
    expect(parseWebhookSecrets('123456')).toEqual(['123456']);
  });

  test.each([
    ['empty', '', /empty/],
    ['blank', '   ', /empty/],
    ['object without current', '{"previous":"hidden-old-value"}', /"current"/],
    ['current not a string', '{"current":42}', /"current"/],
    ['previous not a string', '{"current":"hidden-new-value","previous":7}', /"previous"/],
  ])('%s is rejected with a message that does not contain the value', (_name, value, message) => {
    expect(() => parseWebhookSecrets(value)).toThrow(message);
    expect(() => parseWebhookSecrets(value)).not.toThrow(/hidden/);
  });
});
