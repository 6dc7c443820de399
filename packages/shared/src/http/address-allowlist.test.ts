import { createAddressAllowlist, parseAddressRange } from './address-allowlist';

describe('parseAddressRange', () => {
  test.each([
    ['203.0.113.7', '203.0.113.7/32'],
    ['203.0.113.0/24', '203.0.113.0/24'],
    [' 10.0.0.0/8 ', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['::ffff:203.0.113.0/120', '203.0.113.0/24'],
  ])('when the entry is "%s", then it reads as %s', (entry, expected) => {
    // Act
    const range = parseAddressRange(entry);

    // Assert
    expect(range && `${range[0].toString()}/${range[1]}`).toBe(expected);
  });

  test.each(['', 'not-an-ip', '10.0.0.300', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8/8', '10.0.0.0/', '10.0.0.0/x', '127.1', '0x7f000001', 'example.com'])(
    'when the entry is "%s", then it is not a range',
    (entry) => {
      expect(parseAddressRange(entry)).toBeUndefined();
    },
  );
});

describe('createAddressAllowlist', () => {
  const ranges = ['203.0.113.0/24', '198.51.100.7', '2001:db8::/32'].map((e) => parseAddressRange(e)!);
  const allowed = createAddressAllowlist(ranges);

  test.each([
    ['an IPv4 address inside a range', '203.0.113.200', true],
    ['the single listed address', '198.51.100.7', true],
    ['the address next to the single listed one', '198.51.100.8', false],
    ['an IPv4 address outside every range', '192.0.2.1', false],
    ['an IPv4-mapped IPv6 address inside an IPv4 range', '::ffff:203.0.113.9', true],
    ['an IPv4-mapped IPv6 address outside every range', '::ffff:192.0.2.1', false],
    ['an IPv6 address inside an IPv6 range', '2001:db8:1::5', true],
    ['an IPv6 address outside every range', '2001:db9::1', false],
    ['no address (a closed socket)', undefined, false],
    ['something that is not an address', 'localhost', false],
  ])('when the client is %s, then the answer is %s', (_name, address, expected) => {
    expect(allowed(address)).toBe(expected);
  });

  test('when the list holds an IPv4-mapped IPv6 range, then plain IPv4 clients match it', () => {
    const mapped = createAddressAllowlist([parseAddressRange('::ffff:127.0.0.0/104')!]);
    expect([mapped('127.0.0.1'), mapped('::ffff:127.0.0.1'), mapped('10.0.0.1')]).toEqual([true, true, false]);
  });
});
