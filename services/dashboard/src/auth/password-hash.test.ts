import { hashPassword, parsePasswordHash, verifyPassword } from './password-hash';

// a cheap cost keeps the tests fast; the format and the checks are the same at any cost
const CHEAP = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  test('when a password is hashed, then the hash carries scrypt, its parameters, a salt and the key', async () => {
    // Act
    const encoded = await hashPassword('correct horse battery', CHEAP);

    // Assert
    expect(encoded).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain('correct');
  });

  test('when the same password is hashed twice, then the salts differ', async () => {
    expect(await hashPassword('same', CHEAP)).not.toBe(await hashPassword('same', CHEAP));
  });

  test.each([
    ['the right password', true, 'correct horse battery', 'correct horse battery'],
    ['a wrong password', false, 'correct horse battery', 'correct horse batterY'],
    ['an empty password', false, 'correct horse battery', ''],
    ['the same password typed in another Unicode form', true, 'caf\u00e9', 'cafe\u0301'],
  ])('when a candidate is %s, then the check answers %s', async (_name, expected, password, candidate) => {
    // Arrange
    const stored = parsePasswordHash(await hashPassword(password, CHEAP))!;

    // Act
    const ok = await verifyPassword(candidate, stored);

    // Assert
    expect(ok).toBe(expected);
  });

  test.each([
    ['another scheme', 'bcrypt$10$abcdefghabcdefgh$abcdefghabcdefghabcdefgh'],
    ['too few fields', 'scrypt$16384$8$5$abcdefghabcdefgh'],
    ['N not a power of two', 'scrypt$1000$8$1$abcdefghabcdefgh$abcdefghabcdefghabcdefgh'],
    ['a cost of 1 GiB per check', 'scrypt$1048576$8$1$abcdefghabcdefgh$abcdefghabcdefghabcdefgh'],
    ['p out of range', 'scrypt$16384$8$99$abcdefghabcdefgh$abcdefghabcdefghabcdefgh'],
    ['a salt that is not base64url', 'scrypt$16384$8$5$abc+/defghabcdef$abcdefghabcdefghabcdefgh'],
    ['a key too short', 'scrypt$16384$8$5$abcdefghabcdefgh$abcd'],
    ['a plain password', 'hunter2hunter2'],
  ])('when the stored hash has %s, then it is not read as a hash', (_name, text) => {
    expect(parsePasswordHash(text)).toBeUndefined();
  });
});
