import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { clientIp } from "../lib/client-ip.ts";
import { ApiError } from "../lib/problem.ts";
import { setHeader } from "../lib/response-headers.ts";
import { increment } from "../observability/metrics.ts";
import { addListMember, checkLimit, rateLimitHeaders } from "../rate-limit/limiter.ts";
import { POLICIES, type Policy, type PolicyName } from "../rate-limit/policies.ts";
import type { Decision } from "../rate-limit/sliding-log.ts";
import { recordTiming } from "./server-timing.ts";

export interface RateLimitOptions {
  /** A named policy, or "auto": API key > user > IP, each with its own policy. */
  policy?: PolicyName | "auto";
  /** Units this request costs (e.g. exports cost 10). */
  cost?: number;
  /** Refuse with 503 when the limiter cannot answer (login, registration); default is to let the request through. */
  failClosed?: boolean;
  /** Who is counted; default: the caller by precedence. Return null to skip this limiter. */
  identity?: (c: Context<AppEnv>) => string | null | Promise<string | null>;
}

/** The policy and identity for "auto": API key > user > IP (`CF-Connecting-IP`). */
function resolveAuto(c: Context<AppEnv>): { policy: Policy; identity: string } {
  const p = c.get("principal");
  if (p?.kind === "api_key") {
    const limit = p.rateLimitPerMinute ?? POLICIES.api_key.limit;
    return { policy: { ...POLICIES.api_key, limit }, identity: `key:${p.keyId}` };
  }
  if (p) return { policy: POLICIES.user, identity: `user:${p.userId}` };
  return { policy: POLICIES.anonymous, identity: `ip:${clientIp(c)}` };
}

/**
 * Adds a policy's members to the response's `RateLimit-Policy` and `RateLimit` fields.
 * Each field stays one header line holding a list (draft-ietf-httpapi-ratelimit-headers
 * allows several policies per field): workerd sends every `Headers.append` as a line
 * of its own, so the combined value is written with `set`.
 */
export function addRateLimitHeaders(
  c: Context,
  members: { "RateLimit-Policy": string; RateLimit: string },
): void {
  for (const field of ["RateLimit-Policy", "RateLimit"] as const)
    setHeader(c, field, addListMember(c.res.headers.get(field), members[field]));
}

/** The 429 problem for a refusal by `policy`: Retry-After and the RateLimit headers; counted. */
export function rateLimited(policy: Policy, d: Decision, detail: string): ApiError {
  increment("ratelimit_limited_total", { policy: policy.name });
  return new ApiError("rate_limited", {
    detail,
    headers: {
      ...rateLimitHeaders(policy, d),
      "Retry-After": String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))),
    },
  });
}

/**
 * Exact, global rate limiting on the RateLimiter Durable Object (one RPC per
 * check, 50 ms budget). Allowed responses carry `RateLimit-Policy` and `RateLimit`;
 * a refusal is a 429 problem with `Retry-After`. Several limiters on one route add
 * one list member each to those headers (one header line per field, each policy named
 * once; see {@link addRateLimitHeaders}).
 */
export const rateLimit = ({
  policy = "auto",
  cost = 1,
  failClosed = false,
  identity,
}: RateLimitOptions = {}): MiddlewareHandler<AppEnv> =>
  async function rateLimit(c, next) {
    if (c.get("config").RATE_LIMITING === "off") return next();
    let resolved: { policy: Policy; identity: string };
    if (policy === "auto") resolved = resolveAuto(c);
    else {
      const who = identity ? await identity(c) : `ip:${clientIp(c)}`;
      if (who === null) return next();
      resolved = { policy: POLICIES[policy], identity: who };
    }
    const { policy: p, identity: who } = resolved;
    const asked = performance.now();
    let decision: Awaited<ReturnType<typeof checkLimit>>;
    try {
      decision = await checkLimit(c.env, `${p.name}:${who}`, p, cost);
    } catch (error) {
      recordTiming(c, "limiter", performance.now() - asked);
      if (failClosed) {
        increment("ratelimit_fail_closed_total", { policy: p.name });
        c.get("logger").error("ratelimit_fail_closed", {
          policy: p.name,
          error: String((error as Error).cause ?? error),
        });
        throw new ApiError("service_unavailable", {
          detail: "This action is temporarily unavailable; try again shortly",
          headers: { "Retry-After": "1" },
        });
      }
      increment("ratelimit_fail_open_total", { policy: p.name });
      c.get("logger").warn("ratelimit_fail_open", {
        policy: p.name,
        error: String((error as Error).cause ?? error),
      });
      return next();
    }
    recordTiming(c, "limiter", performance.now() - asked);
    if (!decision.allowed) {
      throw rateLimited(
        p,
        decision,
        `Rate limit of ${p.limit} per ${p.windowSeconds} s exceeded (${p.name}); retry after the indicated time`,
      );
    }
    const headers = rateLimitHeaders(p, decision);
    await next();
    addRateLimitHeaders(c, headers);
  };
