/**
 * IPv4/IPv6 CIDR matching. Hand-written because hono's ip-restriction only works
 * as a whole middleware with static rules, and we match per API key at run time.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are matched as the IPv4 they carry.
 */
export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** Strict dotted-quad IPv4 (no leading zeros) as a 32-bit integer; null when invalid. */
export function parseIPv4(ip: string): bigint | null {
  const parts = ip.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part.startsWith("0"))) return null;
    const n = Number(part);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** IPv6 (compressed, with an optional dotted IPv4 tail and zone) as a 128-bit integer; null when invalid. */
export function parseIPv6(input: string): bigint | null {
  let ip = input;
  const zone = ip.indexOf("%");
  if (zone !== -1) ip = ip.slice(0, zone);
  // Embedded IPv4 tail (e.g. ::ffff:192.0.2.1): turn it into two hextets.
  const lastColon = ip.lastIndexOf(":");
  if (ip.includes(".", lastColon)) {
    const v4 = parseIPv4(ip.slice(lastColon + 1));
    if (v4 === null) return null;
    ip = `${ip.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = ip.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(g, 16));
  }
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** Parses an address; IPv4-mapped IPv6 comes back as IPv4. Null when invalid. */
export function parseIp(ip: string): ParsedIp | null {
  const trimmed = ip.trim().replace(/^\[|\]$/g, "");
  if (trimmed.includes(":")) {
    const v6 = parseIPv6(trimmed);
    if (v6 === null) return null;
    if (v6 >> 32n === MAPPED_PREFIX >> 32n) return { family: 4, value: v6 & 0xffffffffn };
    return { family: 6, value: v6 };
  }
  const v4 = parseIPv4(trimmed);
  return v4 === null ? null : { family: 4, value: v4 };
}

/** Parses `addr/prefix` (or a bare address = a single host). Null when invalid. */
export function parseCidr(cidr: string): Cidr | null {
  const [addr, prefixText, ...rest] = cidr.trim().split("/");
  if (!addr || rest.length) return null;
  const ip = parseIp(addr);
  if (!ip) return null;
  // A mapped IPv6 network like ::ffff:10.0.0.0/104 becomes the IPv4 /8 it denotes.
  const isMapped = addr.includes(":") && ip.family === 4;
  const bits = ip.family === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText)) return null;
    prefix = Number(prefixText) - (isMapped ? 96 : 0);
    if (prefix < 0 || prefix > bits) return null;
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { family: ip.family, network: ip.value & mask, prefix };
}

export function cidrContains(cidr: Cidr, ip: ParsedIp): boolean {
  if (cidr.family !== ip.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  const mask =
    cidr.prefix === 0 ? 0n : ((1n << BigInt(cidr.prefix)) - 1n) << BigInt(bits - cidr.prefix);
  return (ip.value & mask) === cidr.network;
}

/** True when `ip` falls in any of `cidrs`; invalid entries never match. */
export function ipInAny(ip: string, cidrs: readonly (string | Cidr)[]): boolean {
  const parsed = parseIp(ip);
  if (!parsed) return false;
  return cidrs.some((c) => {
    const cidr = typeof c === "string" ? parseCidr(c) : c;
    return cidr !== null && cidrContains(cidr, parsed);
  });
}

/** True when every address of `inner` is also in `outer` (same family, prefix at least as long). */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  return cidrContains(outer, { family: inner.family, value: inner.network });
}

/**
 * The unit a per-address limit should count: an IPv4 address (also when IPv4-mapped), or an IPv6 address's
 * /64 (one subscriber usually holds a whole /64, so counting single IPv6 addresses
 * would let one client rotate through 2^64 identities).
 */
export function addressBucket(ip: string): string {
  const parsed = parseIp(ip);
  if (!parsed) return ip;
  if (parsed.family === 4)
    return [24n, 16n, 8n, 0n].map((s) => String((parsed.value >> s) & 0xffn)).join(".");
  return `${(parsed.value >> 64n).toString(16).padStart(16, "0")}::/64`;
}

const IPV4_CIDR =
  "(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?:/(?:3[0-2]|[12]?[0-9]))?";
// The hex forms of IPv6 (no zone, no dotted IPv4 tail), with a prefix of 0–128.
const IPV6_CIDR =
  "(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,7}:|(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}|(?:[0-9a-fA-F]{1,4}:){1,5}(?::[0-9a-fA-F]{1,4}){1,2}|(?:[0-9a-fA-F]{1,4}:){1,4}(?::[0-9a-fA-F]{1,4}){1,3}|(?:[0-9a-fA-F]{1,4}:){1,3}(?::[0-9a-fA-F]{1,4}){1,4}|(?:[0-9a-fA-F]{1,4}:){1,2}(?::[0-9a-fA-F]{1,4}){1,5}|[0-9a-fA-F]{1,4}:(?::[0-9a-fA-F]{1,4}){1,6}|:(?:(?::[0-9a-fA-F]{1,4}){1,7}|:))(?:/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9]))?";

/**
 * What `parseCidr` accepts, as a JSON Schema `pattern` for the OpenAPI document:
 * an IPv4 or IPv6 address, or either with a `/prefix`, in canonical spelling (the
 * parser also takes a zone, a dotted IPv4 tail and leading zeros in the prefix).
 * The one thing it cannot say: an IPv4-mapped IPv6 network (`::ffff:…`) needs a
 * prefix of at least 96; fields using it say so in their description.
 */
export const CIDR_PATTERN = `^(?:${IPV4_CIDR}|${IPV6_CIDR})$`;

/** The description that goes with CIDR_PATTERN. */
export const CIDR_DESCRIPTION =
  "An IPv4 or IPv6 address, or a CIDR block (`203.0.113.0/24`, `2001:db8::/32`). An IPv4-mapped IPv6 block (`::ffff:…`) needs a prefix of at least 96.";
