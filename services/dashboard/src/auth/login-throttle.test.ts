import { addressKey, userKey } from './login-throttle';

describe('login throttle keys', () => {
  test.each([
    ['an IPv4 client', '203.0.113.7', '203.0.113.7'],
    ['an IPv4 client seen IPv4-mapped', '::ffff:203.0.113.7', '203.0.113.7'],
    ['an IPv6 client', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['another address of the same IPv6 /64', '2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['no address (a closed socket)', undefined, 'unknown'],
  ])('when the client is %s, then its address key is %s', (_name, address, expected) => {
    expect(addressKey(address)).toBe(expected);
  });

  test.each([
    ['an account-like name', 'ops.team@example', 'ops.team@example'],
    ['a name with a colon or space', 'a b:c', expect.stringMatching(/^#[A-Za-z0-9_-]{22}$/)],
    ['a name of 10 000 characters', 'x'.repeat(10_000), expect.stringMatching(/^#[A-Za-z0-9_-]{22}$/)],
  ])('when the user name is %s, then its key stays short and readable where it can', (_name, name, expected) => {
    expect(userKey(name)).toEqual(expected);
  });
});
