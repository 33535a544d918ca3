import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env.ts";
import { createLogger } from "../observability/logger.ts";
import { ApiError, problemForStatus, problemResponse } from "./problem.ts";

/**
 * The one error handler. Three branches:
 * 1. ApiError — ours: rendered as its problem, with its headers.
 * 2. HTTPException — Hono's own (malformed JSON, body limit, timeout…): mapped to
 *    our closed set by status; its message is Hono's and safe to show.
 * 3. Anything else — a bug or a failing dependency: logged with its stack, and the
 *    client gets a generic 500 with the request id. Never the message: it may hold SQL.
 */
export const onError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) {
    if (error.status >= 500)
      logFor(c).error("request failed", { problem: error.problem, detail: error.detail });
    return problemResponse(c, error.problem, {
      detail: error.detail,
      errors: error.errors,
      headers: error.headers,
      extensions: error.extensions,
    });
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    const problem =
      status === 400 && /JSON/i.test(error.message) ? "malformed_json" : problemForStatus(status);
    const headers: Record<string, string> = {};
    const original = error.res?.headers;
    if (original?.get("WWW-Authenticate"))
      headers["WWW-Authenticate"] = original.get("WWW-Authenticate")!;
    return problemResponse(c, problem, { detail: error.message || undefined, headers });
  }
  logFor(c).error("unhandled error", {
    error: error instanceof Error ? error.name : typeof error,
    message: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return problemResponse(c, "internal", {
    detail: "An unexpected error occurred. Quote the request id when reporting it.",
  });
};

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  problemResponse(c, "not_found", { detail: `No route matches ${c.req.method} ${c.req.path}` });

/** 405 with `Allow`, used by Hono's method-not-allowed middleware. */
export const methodNotAllowedResponse = (c: Context<AppEnv>, methods: string[]) => {
  const allow = [...new Set([...methods, "OPTIONS"])].join(", ");
  return problemResponse(c, "method_not_allowed", {
    detail: `${c.req.method} is not supported on ${c.req.path}; use ${allow}`,
    headers: { Allow: allow },
  });
};

const logFor = (c: Context<AppEnv>) =>
  c.get("logger") ??
  createLogger({ request_id: c.get("requestId"), trace_id: c.get("trace")?.traceId });
