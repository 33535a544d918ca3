import type { Config } from "../env.ts";
import { parseIPv4, parseIPv6 } from "../lib/cidr.ts";
import { err, ok, type Result } from "../lib/result.ts";

/**
 * The one policy every user-supplied outbound URL passes (health checks and
 * webhook endpoints): at the API when the URL is saved, and again right before the
 * request goes out, so a URL that reached the database some other way is still
 * refused.
 *
 * It judges the URL exactly as the runtime's WHATWG parser sees it — the parser
 * fetch() itself uses — so every alternative spelling of an address (`127.1`,
 * `2130706433`, `0x7f.1`, `0177.0.0.1`, full-width digits, percent-encoding, a
 * trailing dot, upper case) is folded into its canonical form before it is judged.
 *
 * What it cannot see is DNS: a public name whose records point at a private
 * address is judged by its name (Workers have no resolver API, and an answer
 * checked now could change before the fetch anyway). docs/security.md says so.
 */

/** Who sends requests to user-supplied URLs. */
export type UrlPurpose = "probe" | "webhook";

export type Environment = Config["ENVIRONMENT"];

export interface UrlPolicy {
  /** Schemes accepted, as `URL.protocol` spells them. */
  protocols: readonly ("http:" | "https:")[];
  /** Loopback (127.0.0.0/8, ::1, `localhost`, `*.localhost`): development only. */
  allowLoopback: boolean;
  /** Ports accepted (a URL without one uses its scheme's default); `null` accepts any. */
  ports: readonly number[] | null;
}

/** Ports a health check or webhook may use outside development. */
export const STANDARD_PORTS = [80, 443, 8443] as const;

/**
 * The policy for a purpose in an environment. Development (`wrangler dev`) may
 * reach loopback on any port — the seeded demo servers probe the dev server
 * itself — but nothing else that is private. Webhooks are https-only outside
 * development; health checks may use plain http.
 */
export function urlPolicy(purpose: UrlPurpose, environment: Environment): UrlPolicy {
  const development = environment === "development";
  return {
    protocols: purpose === "webhook" && !development ? ["https:"] : ["http:", "https:"],
    allowLoopback: development,
    ports: development ? null : STANDARD_PORTS,
  };
}

/** Why a URL was refused; each has a message for the `errors[]` entry of a 422. */
export type UrlRefusal =
  | "invalid"
  | "scheme"
  | "userinfo"
  | "port"
  | "loopback"
  | "unspecified"
  | "private"
  | "link_local"
  | "shared"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "embedded_ipv4"
  | "internal_name";

const MESSAGES: Record<Exclude<UrlRefusal, "scheme" | "port">, string> = {
  invalid: "must be a valid absolute URL",
  userinfo: "must not contain a user name or password",
  loopback: "must not point at this machine (loopback addresses and localhost)",
  unspecified: "must not point at an unspecified address (0.0.0.0/8, ::)",
  private: "must not point at a private network address",
  link_local: "must not point at a link-local address (this includes cloud metadata endpoints)",
  shared: "must not point at a carrier-grade NAT address (100.64.0.0/10)",
  multicast: "must not point at a multicast address",
  broadcast: "must not point at the broadcast address",
  reserved: "must not point at a reserved or documentation address",
  embedded_ipv4:
    "must not use an IPv6 address that carries an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo)",
  internal_name:
    "must use a public host name (not a single label or a private-use name such as .local or .internal)",
};

type AddressClass = Exclude<
  UrlRefusal,
  "invalid" | "scheme" | "userinfo" | "port" | "internal_name"
>;

interface Range {
  network: bigint;
  prefix: number;
  kind: AddressClass;
}

const v4 = (cidr: string, kind: AddressClass): Range => {
  const [addr, prefix] = cidr.split("/");
  return { network: parseIPv4(addr!)!, prefix: Number(prefix), kind };
};
const v6 = (cidr: string, kind: AddressClass): Range => {
  const [addr, prefix] = cidr.split("/");
  return { network: parseIPv6(addr!)!, prefix: Number(prefix), kind };
};

/**
 * IPv4 special-purpose ranges (IANA registry), first match wins. Anything else is
 * public.
 */
const IPV4_RANGES: readonly Range[] = [
  v4("0.0.0.0/8", "unspecified"),
  v4("10.0.0.0/8", "private"),
  v4("100.64.0.0/10", "shared"),
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link_local"),
  v4("172.16.0.0/12", "private"),
  v4("192.0.0.0/24", "reserved"), // IETF protocol assignments (incl. NAT64 discovery)
  v4("192.0.2.0/24", "reserved"), // TEST-NET-1
  v4("192.88.99.0/24", "reserved"), // former 6to4 relay anycast
  v4("192.168.0.0/16", "private"),
  v4("198.18.0.0/15", "reserved"), // benchmarking
  v4("198.51.100.0/24", "reserved"), // TEST-NET-2
  v4("203.0.113.0/24", "reserved"), // TEST-NET-3
  v4("224.0.0.0/4", "multicast"),
  v4("255.255.255.255/32", "broadcast"),
  v4("240.0.0.0/4", "reserved"),
];

/**
 * IPv6 ranges refused inside or before global unicast (2000::/3), first match wins;
 * everything outside 2000::/3 is refused too. Addresses that carry an IPv4 address
 * are refused whatever they carry: a health check has no reason to use them, and
 * judging the embedded address would mean trusting every translator on the way.
 */
const IPV6_RANGES: readonly Range[] = [
  v6("::/128", "unspecified"),
  v6("::1/128", "loopback"),
  v6("::ffff:0:0/96", "embedded_ipv4"), // IPv4-mapped
  v6("::ffff:0:0:0/96", "embedded_ipv4"), // IPv4-translated (SIIT)
  v6("::/96", "embedded_ipv4"), // IPv4-compatible (deprecated)
  v6("64:ff9b::/96", "embedded_ipv4"), // NAT64 well-known prefix
  v6("64:ff9b:1::/48", "embedded_ipv4"), // NAT64 local-use prefix
  v6("2002::/16", "embedded_ipv4"), // 6to4
  v6("2001::/32", "embedded_ipv4"), // Teredo
  v6("fc00::/7", "private"), // unique local
  v6("fec0::/10", "private"), // site-local (deprecated)
  v6("fe80::/10", "link_local"),
  v6("ff00::/8", "multicast"),
  v6("2001::/23", "reserved"), // IETF protocol assignments
  v6("2001:db8::/32", "reserved"), // documentation
  v6("3fff::/20", "reserved"), // documentation
];
const GLOBAL_UNICAST = v6("2000::/3", "reserved");

const inRange = (value: bigint, bits: number, r: Range) =>
  value >> BigInt(bits - r.prefix) === r.network >> BigInt(bits - r.prefix);

function classifyIp(value: bigint, family: 4 | 6): AddressClass | "public" {
  const bits = family === 4 ? 32 : 128;
  for (const r of family === 4 ? IPV4_RANGES : IPV6_RANGES)
    if (inRange(value, bits, r)) return r.kind;
  if (family === 6 && !inRange(value, 128, GLOBAL_UNICAST)) return "reserved";
  return "public";
}

/**
 * Top-level names that only mean something inside a private network: RFC 6761
 * `localhost` is loopback (below); these are `.local` (mDNS), `.internal` (ICANN,
 * private use; cloud metadata lives there), `.arpa` (infrastructure, incl. `home.arpa`)
 * and the undelegated names private networks commonly use.
 */
const INTERNAL_TLDS = new Set([
  "local",
  "internal",
  "arpa",
  "lan",
  "home",
  "corp",
  "intranet",
  "localdomain",
]);

type HostClass = AddressClass | "internal_name" | "public";

/** Classifies `URL.hostname` (already canonical: lower case, punycode, dotted-quad IPv4, bracketed compressed IPv6). */
function classifyHost(hostname: string): HostClass {
  if (hostname.startsWith("[")) {
    const value = parseIPv6(hostname.slice(1, -1));
    return value === null ? "reserved" : classifyIp(value, 6);
  }
  const ipv4 = parseIPv4(hostname);
  if (ipv4 !== null) return classifyIp(ipv4, 4);
  const name = hostname.endsWith(".") ? hostname.slice(0, -1) : hostname;
  if (name === "localhost" || name.endsWith(".localhost")) return "loopback";
  const labels = name.split(".");
  if (labels.length < 2 || INTERNAL_TLDS.has(labels.at(-1)!)) return "internal_name";
  return "public";
}

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

/**
 * Checks one URL against a policy. On success the value is the parsed URL — fetch
 * that object, not the original string, so nothing is parsed twice.
 *
 * @example
 * const verdict = checkOutboundUrl(input, urlPolicy("probe", config.ENVIRONMENT));
 * if (!verdict.ok) return refuse(verdict.detail);
 */
export function checkOutboundUrl(input: string | URL, policy: UrlPolicy): Result<URL, UrlRefusal> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return err("invalid", MESSAGES.invalid);
  }
  if (!(policy.protocols as readonly string[]).includes(url.protocol))
    return err(
      "scheme",
      policy.protocols.length === 1 ? "must be an https URL" : "must be an http or https URL",
    );
  if (url.username || url.password) return err("userinfo", MESSAGES.userinfo);
  const host = classifyHost(url.hostname);
  if (host !== "public" && !(host === "loopback" && policy.allowLoopback))
    return err(host, MESSAGES[host]);
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol]!;
  if (policy.ports && !policy.ports.includes(port))
    return err("port", `must use port ${formatList(policy.ports)}`);
  return ok(url);
}

const formatList = (ports: readonly number[]) =>
  ports.length === 1 ? String(ports[0]) : `${ports.slice(0, -1).join(", ")} or ${ports.at(-1)}`;
