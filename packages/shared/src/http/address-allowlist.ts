import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
/** An address and its prefix length: 203.0.113.0/24, or one address as /32 (/128 for IPv6). */
export type AddressRange = readonly [Address, number];

/** Dotted-quad IPv4 only: ipaddr.js would also read "127.1" or "0x7f000001" as addresses. */
function parseAddress(text: string): Address | undefined {
  if (text.includes(':')) return ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
  return ipaddr.IPv4.isValidFourPartDecimal(text) ? ipaddr.IPv4.parse(text) : undefined;
}

/**
 * "203.0.113.7", "203.0.113.0/24", "2001:db8::/32"; undefined when it is none of these. An
 * IPv4-mapped IPv6 range (::ffff:203.0.113.0/120) is kept as the IPv4 range it stands for.
 */
export function parseAddressRange(entry: string): AddressRange | undefined {
  const [text = '', bitsText, ...rest] = entry.trim().split('/');
  const address = parseAddress(text);
  if (!address || rest.length > 0) return undefined;
  const max = address.kind() === 'ipv4' ? 32 : 128;
  const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= max)) return undefined;
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) return [address.toIPv4Address(), bits - 96];
  return [address, bits];
}

/**
 * Whether an address (as a socket or Express's req.ip reports it) lies in one of the ranges. An
 * IPv4 client of a dual-stack listener shows up as ::ffff:a.b.c.d and matches the IPv4 ranges.
 */
export function createAddressAllowlist(ranges: readonly AddressRange[]): (address: string | undefined) => boolean {
  return (address) => {
    if (!address || !ipaddr.isValid(address)) return false;
    const client = ipaddr.process(address);
    return ranges.some(([range, bits]) => client.kind() === range.kind() && client.match(range, bits));
  };
}

/** Express's `trust proxy` also takes these names for groups of addresses. */
export const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;
