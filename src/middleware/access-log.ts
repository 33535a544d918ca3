import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../env.ts";
import { configureRecording, flusher } from "../observability/flush.ts";
import { createLogger, type LogLevel, type LogSink, logLevel } from "../observability/logger.ts";
import { errorTypeOf, recorder } from "../observability/metrics.ts";
import { captureRequestError, sentryEnabled } from "../observability/sentry.ts";

/** What requests that matched no endpoint (404, 405) are labelled. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * The endpoint's route template (`/api/v2/servers/:id`), never the raw path, so
 * log and metric labels stay bounded. The last matched route registered for a
 * method, not the last match of all: `app.use()` middleware registered after an
 * early endpoint (/health/live) matches every path too.
 */
export function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const r = routes[i]!;
    if (r.method !== "ALL") return r.path;
  }
  return UNMATCHED_ROUTE;
}

export interface AccessLogOptions {
  /** Where lines are written; tests pass a collector. */
  sink?: LogSink;
  /** Overrides LOG_LEVEL (tests that assert on log lines). */
  level?: LogLevel;
}

/**
 * One structured JSON line per request (request id, trace id, route template,
 * status, error type, duration, identity), a request-scoped logger on
 * `c.get("logger")`, and the request's metrics: the log line and the metrics share
 * their labels (route template, status, error type). Fields are redacted by the
 * logger, so a route may log freely.
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
    const route = routeTemplate(c);
    // performance.now() only advances across I/O on Workers: this is wall time spent awaiting.
    const ms = performance.now() - started;
    logger.request(
      status >= 500 ? "error" : status >= 400 ? "warn" : "info",
      {
        method: c.req.method,
        route,
        path: c.req.path,
        status,
        error_type: errorTypeOf(status),
        duration_ms: Math.round(ms * 100) / 100,
        user_agent: c.req.header("user-agent"),
      },
      fields,
    );
    const env = c.env;
    if (!env) return;
    configureRecording(env);
    recorder.recordRequest(c.req.method, route, status, ms / 1000, Date.now());
    if (status >= 500 && sentryEnabled(env))
      captureRequestError(c, {
        requestId: c.get("requestId"),
        traceId: c.get("trace")?.traceId,
        route,
        status,
        userId: c.get("principal")?.userId,
        method: c.req.method,
      });
    let ctx: { waitUntil(promise: Promise<unknown>): void };
    try {
      ctx = c.executionCtx;
    } catch {
      return; // app.request() without an execution context (unit tests): nothing to flush with
    }
    flusher.schedule(env.METRICS, ctx);
  };
