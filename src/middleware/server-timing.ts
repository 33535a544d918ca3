import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { appendHeader } from "../lib/response-headers.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Server-Timing entries recorded so far, already formatted (`name;dur=1.2,…`). */
    serverTiming?: string;
  }
}

/**
 * `Server-Timing: <entries>, total;dur=…;desc="total"` on every response: where the
 * request's wall time went (the rate limiter's round trip, the total).
 *
 * Not hono's `timing()`: it keeps a Map of timers and an array of entries per
 * request and quotes each description with a regular expression, for a header
 * with one or two entries. Here an entry is formatted once when it is recorded and
 * the header is one string. (On Workers `performance.now()` only advances across
 * I/O, so these are times spent waiting, which is what a client wants to see.)
 */
export const serverTiming = (): MiddlewareHandler<AppEnv> =>
  async function serverTiming(c, next) {
    const started = performance.now();
    await next();
    const total = `total;dur=${(performance.now() - started).toFixed(1)};desc="total"`;
    const entries = c.get("serverTiming");
    appendHeader(c, "Server-Timing", entries === undefined ? total : `${entries}, ${total}`);
  };

/** Records `name` as having taken `ms` (a name is a token: letters, digits, `-`, `_`). */
export function recordTiming(c: Context<AppEnv>, name: string, ms: number): void {
  const entry = `${name};dur=${ms.toFixed(1)}`;
  const entries = c.get("serverTiming");
  c.set("serverTiming", entries === undefined ? entry : `${entries}, ${entry}`);
}
