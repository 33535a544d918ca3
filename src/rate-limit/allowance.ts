import type { Policy } from "./policies.ts";
import type { Decision } from "./sliding-log.ts";

/**
 * In-isolate allowance for high limits: instead of one Durable Object call per
 * request, an isolate leases a small block of units (2 % of the limit, 5–50) from
 * the identity's object and spends them locally for at most LEASE_MS.
 *
 * The object counts a lease as admitted when it grants it, so its own invariant
 * (≤ N admitted per window) holds unchanged. Requests spend leased units up to
 * LEASE_MS later than the object recorded them, so in any window of length W the
 * requests actually admitted are at most N + (units leased in the LEASE_MS before
 * the window): **≤ N + L per isolate holding a lease**, where L is the block size.
 * Unused units expire with the lease (a client may be refused up to L units early).
 * Limits below MIN_LIMIT (anonymous 100/min, login, registration) stay exact.
 */
export const MIN_LIMIT = 500;
export const LEASE_MS = 1_000;

export const leaseSize = (limit: number): number =>
  Math.max(5, Math.min(50, Math.floor(limit * 0.02)));

interface Lease {
  tokens: number;
  expires: number;
  limit: number;
  remaining: number;
  resetAt: number;
}

/**
 * Names with a lease request in flight in this isolate. While one is, other requests
 * for the same identity are checked exactly (one unit each) instead of each taking a
 * block — a stampede of blocks would strand units that expire unused.
 */
export const refilling = new Set<string>();

// Per isolate, keyed by limiter name; each lease carries its own deadline and the
// map is bounded, so it is safe between requests.
const leases = new Map<string, Lease>();

export const usesAllowance = (policy: Policy, cost: number) =>
  policy.limit >= MIN_LIMIT && cost < leaseSize(policy.limit);

/** Spends `cost` local units if a live lease has them; the decision is synthesised. */
export function spendLocal(
  name: string,
  policy: Policy,
  cost: number,
  now = Date.now(),
): Decision | null {
  const lease = leases.get(name);
  if (!lease || lease.expires <= now || lease.limit !== policy.limit || lease.tokens < cost)
    return null;
  lease.tokens -= cost;
  return {
    allowed: true,
    remaining: Math.max(0, lease.remaining + lease.tokens),
    retryAfterMs: 0,
    resetMs: Math.max(0, lease.resetAt - now),
  };
}

/** Records a fresh grant of which `cost` is spent at once. */
export function storeLease(
  name: string,
  policy: Policy,
  granted: number,
  cost: number,
  d: Decision,
  now = Date.now(),
): void {
  // Concurrent requests in this isolate may each have taken a block: add to a live
  // lease rather than replace it, or the units already granted would be thrown away.
  const live = leases.get(name);
  const carried = live && live.expires > now && live.limit === policy.limit ? live.tokens : 0;
  leases.set(name, {
    tokens: carried + granted - cost,
    expires: now + LEASE_MS,
    limit: policy.limit,
    remaining: d.remaining,
    resetAt: now + d.resetMs,
  });
  if (leases.size > 10_000) leases.delete(leases.keys().next().value!);
}
