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
  now = Date.now(),
): Promise<Decision> {
  // Units this isolate holds on lease come first: the object may refuse others
  // while they are still here to spend.
  const local = usesAllowance(policy, cost) ? spendLocal(name, policy, cost, now) : null;
  if (local) return local;
  const refusalKey = `${name}|${policy.limit}|${policy.windowSeconds}|${cost}`;
  const known = knownRefusal(refusalKey, now);
  if (known) return known;
  return remember(refusalKey, await consult(env, name, policy, cost), now);
}

/**
 * Refusals this isolate has been given, each until the object said to retry: a
 * refused request is not counted by the object, so until then its answer would be
 * the same refusal, and an identity over its limit (a client hammering, someone
 * guessing keys) costs a Map lookup per request instead of a Durable Object call.
 * Bounded; an entry only ever repeats the object's own answer.
 */
const refusals = new Map<string, { until: number; decision: Decision; at: number }>();
const MAX_REFUSALS = 10_000;

function knownRefusal(key: string, now: number): Decision | undefined {
  const r = refusals.get(key);
  if (!r) return undefined;
  if (r.until <= now) {
    refusals.delete(key);
    return undefined;
  }
  const elapsed = now - r.at;
  return {
    ...r.decision,
    retryAfterMs: r.until - now,
    resetMs: Math.max(0, r.decision.resetMs - elapsed),
  };
}

function remember(key: string, d: Decision, now: number): Decision {
  if (!d.allowed && d.retryAfterMs > 0) {
    refusals.delete(key);
    refusals.set(key, { until: now + d.retryAfterMs, decision: d, at: now });
    if (refusals.size > MAX_REFUSALS) refusals.delete(refusals.keys().next().value!);
  }
  return d;
}

/** Test hook: forget every refusal this isolate remembers. */
export function clearRefusals(): void {
  refusals.clear();
}

async function consult(
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
