import { PassThrough } from 'node:stream';
import { entriesOfVariable, parseAccounts } from './accounts';
import { runHashPassword } from './hash-password';
import { verifyPassword } from './password-hash';

/** stdin as a pipe, or as a terminal that records its raw mode; stdout and stderr collected. */
function fakeIo(tty: boolean) {
  const stdin = Object.assign(new PassThrough(), tty ? { isTTY: true, rawModes: [] as boolean[], setRawMode(raw: boolean) { this.rawModes.push(raw); } } : {});
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (c) => { out += c; });
  const stderr = new PassThrough().on('data', (c) => { err += c; });
  return { io: { stdin, stdout, stderr }, stdin, out: () => out, err: () => err };
}

/** The printed entry, parsed as DASHBOARD_USERS would parse it. */
function printedAccount(out: string) {
  const { accounts, problems } = parseAccounts(entriesOfVariable(out));
  expect(problems).toEqual([]);
  return accounts[0] as (typeof accounts)[0] & { hash: Parameters<typeof verifyPassword>[1] };
}

describe('pnpm hash-password', () => {
  test('when stdin is a pipe, then its first line is the password and the entry printed verifies it', async () => {
    // Arrange
    const f = fakeIo(false);
    f.stdin.end('piped password 123\nignored second line\n');

    // Act
    const code = await runHashPassword(['ops', 'admin'], f.io);

    // Assert
    expect(code).toBe(0);
    expect(f.out()).toMatch(/^ops:scrypt\$16384\$8\$5\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+:admin\n$/);
    const account = printedAccount(f.out());
    expect(account).toMatchObject({ name: 'ops', role: 'admin' });
    expect(await verifyPassword('piped password 123', account.hash)).toBe(true);
    expect(f.out() + f.err()).not.toContain('piped password');
  });

  test('when stdin is a terminal, then the password is typed twice without echo, Backspace deletes, and raw mode is restored', async () => {
    // Arrange
    const f = fakeIo(true);
    const running = runHashPassword(['ada', 'agent'], f.io);

    // Act: a typo corrected with two Backspaces, then the confirmation typed ahead
    f.stdin.write('secret-passXY\u007f\u007f\rsecret-pass\r');
    const code = await running;

    // Assert
    expect(code).toBe(0);
    expect(f.err()).toBe('Password for ada: \nAgain: \n');
    expect((f.stdin as unknown as { rawModes: boolean[] }).rawModes).toEqual([true, false]);
    expect(await verifyPassword('secret-pass', printedAccount(f.out()).hash)).toBe(true);
  });

  test.each([
    ['the two typed passwords differ', 'secret-pass\rsecret-pasS\r', 'the two passwords differ'],
    ['Ctrl-C is pressed', 'secret\u0003', 'cancelled'],
  ])('when %s at the terminal, then nothing is printed, raw mode is restored and it exits 1', async (_name, typing, message) => {
    const f = fakeIo(true);
    const running = runHashPassword(['ada', 'agent'], f.io);
    f.stdin.write(typing);
    expect(await running).toBe(1);
    expect((f.stdin as unknown as { rawModes: boolean[] }).rawModes).toEqual([true, false]);
    expect(f.out()).toBe('');
    expect(f.err()).toContain(message);
  });

  test('when the password is shorter than 8 characters, then it is refused with exit 1', async () => {
    const f = fakeIo(false);
    f.stdin.end('short\n');
    expect(await runHashPassword(['ops', 'admin'], f.io)).toBe(1);
    expect(f.err()).toContain('at least 8 characters');
    expect(f.out()).toBe('');
  });

  test.each([
    ['no arguments', []],
    ['no role', ['ops']],
    ['an unknown role', ['ops', 'root']],
    ['a name with a colon', ['ops:x', 'admin']],
    ['an extra argument', ['ops', 'admin', 'more']],
  ])('when it is run with %s, then it prints the usage and exits 2', async (_name, args) => {
    const f = fakeIo(false);
    f.stdin.end('password-123\n');
    expect(await runHashPassword(args, f.io)).toBe(2);
    expect(f.err()).toContain('usage: pnpm hash-password NAME ROLE');
  });
});
