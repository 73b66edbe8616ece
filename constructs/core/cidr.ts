/**
 * IPv4 CIDR parsing, the one implementation of the project: the configuration validator
 * (lib/config/cidr.ts re-exports this module), every construct that takes a CIDR (network, load
 * balancer, application egress, jump host) and the project's nag rules use it.
 *
 * `parseCidr` holds the rules for customer allow-lists, so that a construct refuses what the
 * configuration would refuse even when it is used without the configuration layer: the network
 * address must be the first address of the block (203.0.113.5/24 is refused with the corrected
 * form), /0 is refused, nothing broader than /16 is accepted, and special-purpose ranges that can
 * never be a customer's source address are refused. `parseIPv4Block` is only the syntax (a VPC's
 * own private range is no customer range).
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

/** A well-formed IPv4 block `a.b.c.d/prefix` (host bits not checked), or what is wrong with the text. */
export type IPv4BlockResult = { ok: true; address: number; prefix: number } | { ok: false; error: string };

/** The syntax of an IPv4 CIDR block: four octets 0-255 without leading zeros and a prefix /0 to /32. */
export function parseIPv4Block(value: string): IPv4BlockResult {
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
  return { ok: true, address: ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0, prefix };
}

/** The first address of the block a (possibly host-bit-set) address and prefix name. */
function networkOf(address: number, prefix: number): number {
  return (address & mask(prefix)) >>> 0;
}

/** `'value' has host bits set; the block starting there is ...`, or undefined when the address is the block's first. */
export function hostBitsError(value: string, address: number, prefix: number): string | undefined {
  const network = networkOf(address, prefix);
  if (network === address) return undefined;
  return (
    `'${value}' has host bits set; the block starting there is ` +
    `"${formatIPv4(network)}/${prefix}" (or use "${value.split('/')[0]}/32" for one ` +
    `address)`
  );
}

/**
 * True for a block of every address, IPv4 or IPv6, however written (`0.0.0.0/0`, `::/0`,
 * `10.0.0.0/0`): what a security group rule must never open an administrative port to.
 */
export function coversEveryAddress(value: string): boolean {
  return /^[0-9A-Fa-f.:]+\/0+$/.test(value.trim());
}

/** A customer allow-list entry: a well-formed IPv4 block that a customer's clients can really come from. */
export function parseCidr(value: string): CidrResult {
  const block = parseIPv4Block(value);
  if (!block.ok) return block;
  const { address, prefix } = block;
  if (prefix === 0) {
    return { ok: false, error: `'${value}' opens access to the whole internet (/0); list the customer's own ranges instead` };
  }
  if (prefix < BROADEST_PREFIX) {
    return {
      ok: false,
      error:
        `'${value}' is broader than /${BROADEST_PREFIX} (${2 ** (32 - prefix)} ` +
        `addresses); list the customer's narrower ranges instead`,
    };
  }
  const hostBits = hostBitsError(value, address, prefix);
  if (hostBits) return { ok: false, error: hostBits };
  const network = networkOf(address, prefix);
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
