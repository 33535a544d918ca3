import { withDeadline } from "../lib/deadline.ts";
import { leaseSize, refilling, spendLocal, storeLease, usesAllowance } from "./allowance.ts";
import type { Policy } from "./policies.ts";
import type { Decision } from "./sliding-log.ts";

/** Budget for one limiter call; past it the request fails open (or closed, per route). */
export const LIMITER_TIMEOUT_MS = 50;

export interface LimiterEnv {
  RATE_LIMITER: DurableObjectNamespace<import("./durable-object.ts").RateLimiter>;
}

export class LimiterUnavailable extends Error {
  constructor(cause: unknown) {
    super("rate limiter unavailable", { cause });
    this.name = "LimiterUnavailable";
  }
}

/** Rejects with LimiterUnavailable if `p` throws or takes longer than `ms`. */
export async function withBudget<T>(p: Promise<T>, ms = LIMITER_TIMEOUT_MS): Promise<T> {
  try {
    return await withDeadline(p, ms);
  } catch (error) {
    throw new LimiterUnavailable(error);
  }
}

/** The Durable Object for one name (`<purpose>:<identity>`). */
export const limiterStub = (env: LimiterEnv, name: string) =>
  env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));

/**
 * One sliding-window check. Low limits: one RPC to the identity's object per request
 * (exact). High limits: spent from an in-isolate lease when one is live, else a new
 * lease is taken in the same single RPC (see allowance.ts for the bound).
 */
export async function checkLimit(
  env: LimiterEnv,
  name: string,
  policy: Policy,
  cost: number,
): Promise<Decision> {
  const windowMs = policy.windowSeconds * 1000;
  const stub = () => limiterStub(env, name);
  if (!usesAllowance(policy, cost)) return withBudget(stub().check(policy.limit, windowMs, cost));
  const local = spendLocal(name, policy, cost);
  if (local) return local;
  if (refilling.has(name)) return withBudget(stub().check(policy.limit, windowMs, cost));
  refilling.add(name);
  let granted: number;
  let decision: Decision;
  try {
    ({ granted, decision } = await withBudget(
      stub().lease(policy.limit, windowMs, leaseSize(policy.limit), cost),
    ));
  } finally {
    refilling.delete(name);
  }
  // Refused by the object, but a concurrent request may have just brought a block here.
  if (granted < cost) return spendLocal(name, policy, cost) ?? decision;
  storeLease(name, policy, granted, cost, decision);
  // What the client may still send: the object's remainder plus this isolate's unspent units.
  return { ...decision, remaining: decision.remaining + granted - cost };
}

/** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-09). */
export function rateLimitHeaders(
  policy: Policy,
  d: Decision,
): { "RateLimit-Policy": string; RateLimit: string } {
  return {
    "RateLimit-Policy": `"${policy.name}";q=${policy.limit};w=${policy.windowSeconds}`,
    RateLimit: `"${policy.name}";r=${d.remaining};t=${Math.ceil(d.resetMs / 1000)}`,
  };
}

/** The policy name a RateLimit/RateLimit-Policy list member starts with (`"login";…`). */
const memberName = (member: string) => /^"([^"]*)"/.exec(member.trim())?.[1];

/**
 * Adds `member` to a RateLimit or RateLimit-Policy field value (`existing`, null when
 * absent), as one more item of the field's list: several limiters on one request share
 * one field line, each policy named once. A member whose policy is already listed is
 * not added again: the first (innermost, closest to the route) limiter to report a
 * policy is the one the client sees.
 */
export function addListMember(existing: string | null, member: string): string {
  if (!existing) return member;
  const name = memberName(member);
  const listed = existing.split(",").some((m) => memberName(m) === name);
  return listed ? existing : `${existing}, ${member}`;
}
