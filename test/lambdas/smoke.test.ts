import { DiscordError } from '../../lambdas/core/ports';

test('typed Discord errors carry kind, status and code', () => {
  const err = new DiscordError('missing', 404, 10003, 'Unknown Channel');
  expect(err).toBeInstanceOf(Error);
  expect([err.kind, err.status, err.code]).toEqual(['missing', 404, 10003]);
});
