import { sign, verifySignature } from '../../../lambdas/core/signature';

// GitHub's published test vector (docs: "Validating webhook deliveries").
const VECTOR_SECRET = "It's a Secret to Everybody";
const VECTOR_BODY = Buffer.from('Hello, World!', 'utf8');
const VECTOR_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifySignature', () => {
  test("accepts GitHub's documented test vector", () => {
    expect(verifySignature([VECTOR_SECRET], VECTOR_BODY, VECTOR_SIGNATURE)).toBe(true);
  });

  test('sign reproduces the documented vector', () => {
    expect(sign(VECTOR_SECRET, VECTOR_BODY)).toBe(VECTOR_SIGNATURE);
  });

  test('accepts the digest in upper-case hex', () => {
    const upper = 'sha256=' + VECTOR_SIGNATURE.slice('sha256='.length).toUpperCase();
    expect(verifySignature([VECTOR_SECRET], VECTOR_BODY, upper)).toBe(true);
  });

  test('rejects the vector under another secret', () => {
    expect(verifySignature(['not the secret'], VECTOR_BODY, VECTOR_SIGNATURE)).toBe(false);
  });

  test('rejects the vector when one body byte changes', () => {
    const mutated = Buffer.from(VECTOR_BODY);
    mutated[0] ^= 0x01;
    expect(verifySignature([VECTOR_SECRET], mutated, VECTOR_SIGNATURE)).toBe(false);
  });

  test('tries every secret (current, then previous during a rotation)', () => {
    expect(verifySignature(['new secret', VECTOR_SECRET], VECTOR_BODY, VECTOR_SIGNATURE)).toBe(true);
    expect(verifySignature([VECTOR_SECRET, 'new secret'], VECTOR_BODY, VECTOR_SIGNATURE)).toBe(true);
    expect(verifySignature(['new secret', 'old secret'], VECTOR_BODY, VECTOR_SIGNATURE)).toBe(false);
  });

  test('no secrets or an empty secret never verifies', () => {
    expect(verifySignature([], VECTOR_BODY, VECTOR_SIGNATURE)).toBe(false);
    expect(verifySignature([''], Buffer.from(''), sign('', ''))).toBe(false);
  });

  const hex = VECTOR_SIGNATURE.slice('sha256='.length);
  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['prefix only', 'sha256='],
    ['no prefix', hex],
    ['sha1 only', 'sha1=0a4d55a8d778e5022fab701977c5d840bbc486d0'],
    ['one hex digit short', `sha256=${hex.slice(1)}`],
    ['one hex digit long', `sha256=${hex}0`],
    ['double length', `sha256=${hex}${hex}`],
    ['non-hex character', `sha256=${hex.slice(0, -1)}g`],
    ['multibyte characters', `sha256=${'é'.repeat(64)}`],
    ['multibyte with matching byte length', `sha256=${'é'.repeat(32)}`],
    ['whitespace padded', ` ${VECTOR_SIGNATURE} `],
    ['trailing newline', `${VECTOR_SIGNATURE}\n`],
    ['upper-case prefix', `SHA256=${hex}`],
    ['both algorithms joined', `sha1=abc,${VECTOR_SIGNATURE}`],
  ])('rejects a malformed header (%s) without throwing', (_name, header) => {
    expect(() => verifySignature([VECTOR_SECRET], VECTOR_BODY, header)).not.toThrow();
    expect(verifySignature([VECTOR_SECRET], VECTOR_BODY, header)).toBe(false);
  });
});
