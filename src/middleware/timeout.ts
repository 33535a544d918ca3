import type { MiddlewareHandler } from "hono";
import { timeout as honoTimeout } from "hono/timeout";
import type { AppEnv } from "../env.ts";
import { ApiError } from "../lib/problem.ts";

const timeoutError = () =>
  new ApiError("timeout", { detail: "The request ran past its time budget" });

/**
 * 504 problem when a request runs past `REQUEST_TIMEOUT_MS`. Hono's middleware races
 * the handler against a timer; the budget comes from per-environment config.
 */
export const requestTimeout = (): MiddlewareHandler<AppEnv> => {
  const byDuration = new Map<number, MiddlewareHandler>();
  return async function requestTimeout(c, next) {
    const ms = c.get("config").REQUEST_TIMEOUT_MS;
    let mw = byDuration.get(ms);
    if (!mw) {
      mw = honoTimeout(ms, timeoutError);
      byDuration.set(ms, mw);
    }
    return mw(c, next);
  };
};
