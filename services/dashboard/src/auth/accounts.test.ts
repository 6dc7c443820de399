import { createAccountCheck, entriesOfFile, entriesOfVariable, parseAccounts } from './accounts';
import { hashPassword } from './password-hash';

const CHEAP = { N: 1024, r: 8, p: 1 };
let opsHash: string;
let adaHash: string;
beforeAll(async () => {
  [opsHash, adaHash] = await Promise.all([hashPassword('ops-password-1', CHEAP), hashPassword('ada-password-2', CHEAP)]);
});

describe('DASHBOARD_USERS entries', () => {
  test('when entries are separated by commas and newlines, then each becomes an account with its role', () => {
    // Act
    const { accounts, problems } = parseAccounts(entriesOfVariable(`ops:${opsHash}:admin,\n ada:${adaHash}:agent \n`));

    // Assert
    expect(problems).toEqual([]);
    expect(accounts.map(({ name, role }) => ({ name, role }))).toEqual([{ name: 'ops', role: 'admin' }, { name: 'ada', role: 'agent' }]);
  });

  test('when a file has comments and blank lines, then problems name the line they are on', () => {
    // Act
    const { accounts, problems } = parseAccounts(entriesOfFile(`# the team\n\nops:${opsHash}:admin\nada:${adaHash}:boss\n`));

    // Assert
    expect(accounts.map((a) => a.name)).toEqual(['ops']);
    expect(problems).toEqual(['line 4 has role "boss": it must be admin or agent']);
  });

  test.each([
    ['no role', () => `ops:${opsHash}`, 'entry 1 is not name:scrypt-hash:role'],
    ['a plain password instead of a hash', () => 'ops:hunter2hunter2:admin', 'entry 1 has no valid scrypt$N$r$p$salt$hash (make one with pnpm hash-password)'],
    ['a damaged hash', () => `ops:${opsHash.slice(0, -40)}:admin`, 'entry 1 has no valid scrypt$N$r$p$salt$hash'],
    ['a name with a space', () => `o ps:${opsHash}:admin`, 'entry 1 has a name with other characters than letters, digits, . _ @ -'],
    ['an unknown role', () => `ops:${opsHash}:root`, 'entry 1 has role "root": it must be admin or agent'],
    ['a name used twice', () => `ops:${opsHash}:admin,ops:${adaHash}:agent`, 'entry 2 repeats the name of entry 1'],
  ])('when an entry has %s, then the problem names the entry and never the hash', (_name, value, expected) => {
    // Act
    const { problems } = parseAccounts(entriesOfVariable(value()));

    // Assert
    expect(problems).toEqual([expect.stringContaining(expected)]);
    for (const secret of [opsHash, adaHash, 'hunter2']) expect(problems.join(' ')).not.toContain(secret.split('$').pop());
  });
});

describe('createAccountCheck', () => {
  test.each([
    ['a DASHBOARD_USERS admin with the right password', { name: 'ops', role: 'admin' }, 'ops', 'ops-password-1'],
    ['a DASHBOARD_USERS agent with the right password', { name: 'ada', role: 'agent' }, 'ada', 'ada-password-2'],
    ['a user with another user\'s password', undefined, 'ops', 'ada-password-2'],
    ['the DASHBOARD_USERNAME admin with its password', { name: 'legacy', role: 'admin' }, 'legacy', 'legacy-password'],
    ['the DASHBOARD_USERNAME admin with a wrong password', undefined, 'legacy', 'legacy-passworD'],
    ['an unknown user', undefined, 'mallory', 'ops-password-1'],
  ])('when %s signs in, then the check answers %j', async (_name, expected, user, password) => {
    // Arrange
    const { accounts } = parseAccounts(entriesOfVariable(`ops:${opsHash}:admin,ada:${adaHash}:agent`));
    const check = createAccountCheck([...accounts, { name: 'legacy', role: 'admin', password: 'legacy-password' }]);

    // Act
    const result = await check(user, password);

    // Assert
    expect(result).toEqual(expected);
  });

  test('when only the DASHBOARD_USERNAME pair is configured, then an unknown user is refused too', async () => {
    const check = createAccountCheck([{ name: 'admin', role: 'admin', password: 'legacy-password' }]);
    expect([await check('admin', 'legacy-password'), await check('root', 'legacy-password')]).toEqual([{ name: 'admin', role: 'admin' }, undefined]);
  });
});
