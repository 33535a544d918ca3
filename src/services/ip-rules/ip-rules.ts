import { type Cidr, parseCidr } from "../../lib/cidr.ts";

/**
 * The global IP deny list, stored in KV (one key) and cached per isolate for
 * 30 s. An edit applies at once in the isolate that made it and within
 * 30 s + KV propagation (≤ 60 s) everywhere else.
 */
const KEY = "ip-rules:v1";
const TTL_MS = 30_000;

export interface IpRules {
  deny: string[];
  updated_at: string | null;
}

// Safe between requests: plain parsed data with a deadline, replaced wholesale.
let cached: { rules: IpRules; parsed: Cidr[]; expires: number } | undefined;

const parse = (rules: IpRules) => rules.deny.map(parseCidr).filter((c): c is Cidr => c !== null);

export async function loadIpRules(
  kv: KVNamespace,
  now = Date.now(),
): Promise<{ rules: IpRules; parsed: Cidr[] }> {
  if (cached && cached.expires > now) return cached;
  const rules = (await kv.get<IpRules>(KEY, "json")) ?? { deny: [], updated_at: null };
  cached = { rules, parsed: parse(rules), expires: now + TTL_MS };
  return cached;
}

export async function saveIpRules(
  kv: KVNamespace,
  deny: string[],
  now = Date.now(),
): Promise<IpRules> {
  const rules: IpRules = { deny, updated_at: new Date(now).toISOString() };
  await kv.put(KEY, JSON.stringify(rules));
  cached = { rules, parsed: parse(rules), expires: now + TTL_MS };
  return rules;
}
