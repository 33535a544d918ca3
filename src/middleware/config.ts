import type { MiddlewareHandler } from "hono";
import { sessionDatabase } from "../db/client.ts";
import { type AppEnv, ConfigError, loadConfig } from "../env.ts";
import { ApiError } from "../lib/problem.ts";
import { setHeader } from "../lib/response-headers.ts";

/**
 * Validates configuration (memoised per isolate) and exposes it and a request-scoped
 * database (D1 Sessions API: `x-d1-bookmark` in and out) on the context. A missing or
 * malformed secret is a 500 problem that names the variable and what is wrong with it
 * (in the words of `configIssue`), never a crash and never the value. `/health/live`
 * is routed ahead of this middleware and never reaches it.
 */
export const config = (): MiddlewareHandler<AppEnv> =>
  async function config(c, next) {
    try {
      c.set("config", loadConfig(c.env));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ApiError("misconfigured", {
        detail: `The server is misconfigured: ${error.issues.map((i) => i.message).join("; ")}`,
        errors: error.issues,
      });
    }
    const { db, bookmark } = sessionDatabase(c.env, c.req.method, c.req.header("x-d1-bookmark"));
    c.set("db", db);
    await next();
    const b = bookmark();
    if (b) setHeader(c, "x-d1-bookmark", b);
  };
