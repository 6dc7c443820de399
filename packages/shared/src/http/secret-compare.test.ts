import { createSecretCompare } from './secret-compare';

describe('createSecretCompare', () => {
  const CURRENT = 'current-secret-0123456789';
  const NEXT = 'next-secret-abcdefghijkl';

  test.each([
    ['the only secret', CURRENT, CURRENT, true],
    ['a wrong guess', CURRENT, 'current-secret-012345678', false],
    ['a guess with the secret as its prefix', CURRENT, `${CURRENT}x`, false],
    ['an empty guess', CURRENT, '', false],
    ['no guess at all', CURRENT, undefined, false],
    ['the first entry of a list', [CURRENT, NEXT], CURRENT, true],
    ['the second entry of a list', [CURRENT, NEXT], NEXT, true],
    ['neither entry of a list', [CURRENT, NEXT], 'other-secret-0123456789', false],
    ['two entries joined by a comma', [CURRENT, NEXT], `${CURRENT},${NEXT}`, false],
  ])('when the candidate is %s, then the check answers as expected', (_name, secrets, candidate, expected) => {
    // Arrange
    const matches = createSecretCompare(secrets);

    // Act
    const result = matches(candidate);

    // Assert
    expect(result).toBe(expected);
  });

  test('when the list is empty, then it refuses to build a check that nothing could pass', () => {
    expect(() => createSecretCompare([])).toThrow('at least one secret');
  });
});
