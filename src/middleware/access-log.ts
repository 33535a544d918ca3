import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AppEnv } from "../env.ts";
import { createLogger, type LogLevel, type LogSink, logLevel } from "../observability/logger.ts";

export interface AccessLogOptions {
  /** Where lines are written; tests pass a collector. */
  sink?: LogSink;
  /** Overrides LOG_LEVEL (tests that assert on log lines). */
  level?: LogLevel;
}

/**
 * One structured JSON line per request (request id, trace id, route pattern,
 * status, duration, identity), and a request-scoped logger on `c.get("logger")`.
 * Fields are redacted by the logger, so a route may log freely.
 */
export const accessLog = ({
  sink,
  level: fixedLevel,
}: AccessLogOptions = {}): MiddlewareHandler<AppEnv> =>
  async function accessLog(c, next) {
    const started = performance.now();
    const logger = createLogger(
      { request_id: c.get("requestId"), trace_id: c.get("trace")?.traceId },
      fixedLevel ?? logLevel(c.env?.LOG_LEVEL),
      sink,
    );
    const fields: Record<string, unknown> = {};
    c.set("logger", logger);
    c.set("logFields", fields);
    await next();
    const status = c.res.status;
    logger.request(
      status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      {
        method: c.req.method,
        route: routePath(c, -1),
        path: c.req.path,
        status,
        // performance.now() only advances across I/O on Workers: this is wall time spent awaiting.
        duration_ms: Math.round((performance.now() - started) * 100) / 100,
        user_agent: c.req.header("user-agent"),
      },
      fields,
    );
  };
