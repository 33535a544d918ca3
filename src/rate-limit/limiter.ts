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
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } catch (error) {
    throw new LimiterUnavailable(error);
  } finally {
    clearTimeout(timer);
  }
}

/** The Durable Object for one name (`<purpose>:<identity>`). */
export const limiterStub = (env: LimiterEnv, name: string) =>
  env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(name));

/** One sliding-window check over RPC, within the time budget. */
export function checkLimit(
  env: LimiterEnv,
  name: string,
  policy: Policy,
  cost: number,
): Promise<Decision> {
  return withBudget(limiterStub(env, name).check(policy.limit, policy.windowSeconds * 1000, cost));
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
