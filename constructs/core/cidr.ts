/**
 * IPv4 CIDR parsing for customer allow-lists, on the constructs side (constructs never import
 * from lib/). Identical rules to the configuration validator, so that a construct refuses what the
 * configuration would refuse even when it is used without the configuration layer: the network
 * address must be the first address of the block (203.0.113.5/24 is refused with the corrected
 * form), /0 is refused, nothing broader than /16 is accepted, and special-purpose ranges that can
 * never be a customer's source address are refused.
 *
 * lib/config/cidr.ts holds the same code today; it can become `export * from
 * '../../constructs/core/cidr'` so that there is one copy.
 */
export const BROADEST_PREFIX = 16;

export interface Cidr {
  readonly network: number; // unsigned 32-bit
  readonly prefix: number;
  readonly text: string; // canonical form
}

export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; error: string };

const SPECIAL_RANGES: Array<[string, number, number, string]> = [
  ['0.0.0.0/8', 0x00000000, 8, '"this network"'],
  ['127.0.0.0/8', 0x7f000000, 8, 'loopback'],
  ['169.254.0.0/16', 0xa9fe0000, 16, 'link-local'],
  ['224.0.0.0/4', 0xe0000000, 4, 'multicast'],
  ['240.0.0.0/4', 0xf0000000, 4, 'reserved'],
];

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(value: string): CidrResult {
  if (value.includes(':')) {
    return { ok: false, error: `'${value}' is IPv6; only IPv4 ranges are supported (the load balancer and jump host are IPv4-only)` };
  }
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!m) {
    return {
      ok: false,
      error: `'${value}' is not an IPv4 CIDR block; write it as a.b.c.d/prefix, e.g. "203.0.113.0/24" (a single address is "/32")`,
    };
  }
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o, i) => o > 255 || (m[i + 1].length > 1 && m[i + 1].startsWith('0')))) {
    return { ok: false, error: `'${value}' has an invalid octet; each must be 0-255 without leading zeros` };
  }
  if (prefix > 32) return { ok: false, error: `'${value}' has prefix /${prefix}; an IPv4 prefix is /0 to /32` };
  if (prefix === 0) {
    return { ok: false, error: `'${value}' opens access to the whole internet (/0); list the customer's own ranges instead` };
  }
  if (prefix < BROADEST_PREFIX) {
    return {
      ok: false,
      error: `'${value}' is broader than /${BROADEST_PREFIX} (${2 ** (32 - prefix)} addresses); list the customer's narrower ranges instead`,
    };
  }
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const network = (address & mask(prefix)) >>> 0;
  if (network !== address) {
    return {
      ok: false,
      error: `'${value}' has host bits set; the block starting there is "${formatIPv4(network)}/${prefix}" (or use "${value.split('/')[0]}/32" for one address)`,
    };
  }
  for (const [range, base, p, label] of SPECIAL_RANGES) {
    if ((network & mask(p)) >>> 0 === base) {
      return { ok: false, error: `'${value}' lies in ${range} (${label}) and can never be a customer's source address` };
    }
  }
  return { ok: true, cidr: { network, prefix, text: `${formatIPv4(network)}/${prefix}` } };
}

/** True when one block contains or equals the other. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.network & mask(p)) >>> 0 === (b.network & mask(p)) >>> 0;
}
