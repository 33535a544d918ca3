import type { MiddlewareHandler } from "hono";
import { type AppEnv, ConfigError, loadConfig } from "../env.ts";
import { ApiError } from "../lib/problem.ts";

/**
 * Validates configuration (memoised per isolate) and exposes it on the context. A
 * missing or malformed secret is a 500 problem that names the variable and what is
 * wrong with it (in the words of `configIssue`), never a crash and never the value.
 * `/health/live` is routed ahead of this middleware and never reaches it.
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
    await next();
  };
