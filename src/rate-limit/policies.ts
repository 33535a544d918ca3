/**
 * Declarative rate-limit policies. `limit` units per `windowSeconds`, counted
 * per identity in a sliding window (see sliding-log.ts). The policy name is what
 * clients see in `RateLimit-Policy` / `RateLimit`.
 */
export interface Policy {
  name: string;
  limit: number;
  windowSeconds: number;
}

export const POLICIES = {
  /** Unauthenticated API calls, per client IP. */
  anonymous: { name: "anonymous", limit: 100, windowSeconds: 60 },
  /** Calls with a user access token, per user. */
  user: { name: "user", limit: 1000, windowSeconds: 60 },
  /** Calls with an API key, per key; a key's `rate_limit_per_minute` overrides the limit. */
  api_key: { name: "api_key", limit: 1000, windowSeconds: 60 },
  /** Login attempts, per IP and per account. */
  login: { name: "login", limit: 10, windowSeconds: 60 },
  /** Registrations, per IP. */
  register: { name: "register", limit: 10, windowSeconds: 60 },
  /** Public form submissions, per IP. */
  submissions: { name: "submissions", limit: 5, windowSeconds: 60 },
  /** On-demand health probes (`POST /servers/{id}/checks`), per owner: each one is an outbound request. */
  probes: { name: "probes", limit: 10, windowSeconds: 60 },
  /**
   * Failed authentications (unknown or malformed API keys, forged access tokens), per
   * IP (IPv6: per /64). Over it, credentials that would need a lookup are refused
   * before KV or D1 is touched (see auth-failures.ts).
   */
  auth_failures: { name: "auth_failures", limit: 30, windowSeconds: 600 },
  /**
   * Registrations answered "already registered", per IP (IPv6: per /64). Over it, the
   * address may not register at all until the window drains, so probing which
   * e-mail addresses have accounts costs an hour per handful (see docs/auth.md).
   */
  register_conflicts: { name: "register_conflicts", limit: 5, windowSeconds: 3_600 },
} as const satisfies Record<string, Policy>;

export type PolicyName = keyof typeof POLICIES;

/**
 * Brute-force lockout: from the `threshold`-th consecutive failure on, each failure
 * locks the identity for 1 s, 2 s, 4 s … doubling, capped at 15 min. An account locks
 * after 5 failures *from one IP* (only for that IP: nobody can lock a user out from
 * the user's own address); an IP (which may front many honest users) after 20 on any
 * accounts. Guessing spread over many IPs is bounded per account: past
 * `accountWide.limit` failures in its window, the account refuses addresses that have
 * not signed in to it within `knownIpDays` until the window drains.
 */
export const LOCKOUT = {
  account: 5,
  ip: 20,
  baseMs: 1_000,
  maxMs: 15 * 60_000,
  accountWide: { limit: 50, windowSeconds: 3_600 },
  knownIpDays: 30,
} as const;

export const lockoutMs = (failures: number, threshold: number): number =>
  failures < threshold ? 0 : Math.min(LOCKOUT.maxMs, LOCKOUT.baseMs * 2 ** (failures - threshold));
