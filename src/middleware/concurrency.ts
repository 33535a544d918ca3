import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../lib/problem.ts";
import { increment } from "../observability/metrics.ts";
import { limiterStub, withBudget } from "../rate-limit/limiter.ts";

/**
 * Per-API-key cap on requests in flight (`max_concurrency`): a semaphore in the
 * key's RateLimiter object. The slot is released in `finally` (in waitUntil, so the
 * response is not delayed); its lease outlives the request budget by 5 s, so a
 * request that crashed before releasing cannot leak the slot for long.
 * Fails open like the rate limiter.
 */
export const concurrencyLimit = (): MiddlewareHandler<AppEnv> =>
  async function concurrencyLimit(c, next) {
    const p = c.get("principal");
    if (p?.kind !== "api_key" || !p.maxConcurrency || c.get("config").RATE_LIMITING === "off")
      return next();
    const stub = limiterStub(c.env, `sem:key:${p.keyId}`);
    let lease: { token: string | null; retryAfterMs: number };
    try {
      lease = await withBudget(
        stub.acquire(p.maxConcurrency, c.get("config").REQUEST_TIMEOUT_MS + 5_000),
      );
    } catch {
      increment("ratelimit_fail_open_total", { policy: "concurrency" });
      return next();
    }
    const token = lease.token;
    if (token === null) {
      increment("ratelimit_limited_total", { policy: "concurrency" });
      throw new ApiError("rate_limited", {
        detail: `This API key allows ${p.maxConcurrency} request(s) in flight at once`,
        headers: { "Retry-After": String(Math.ceil(lease.retryAfterMs / 1000)) },
      });
    }
    try {
      await next();
    } finally {
      c.executionCtx.waitUntil(stub.release(token).catch(() => {}));
    }
  };
