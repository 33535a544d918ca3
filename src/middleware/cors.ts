import type { Context, MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv } from "../env.ts";
import { appendHeader } from "../lib/response-headers.ts";

const ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "X-API-Key",
  "Idempotency-Key",
  "If-Match",
  "If-None-Match",
  "X-Request-Id",
  "traceparent",
  "tracestate",
  "X-Signature",
  "X-Signature-Timestamp",
  "X-Signature-Nonce",
  "x-d1-bookmark",
];

const EXPOSE_HEADERS = [
  "X-Request-Id",
  "traceresponse",
  "ETag",
  "Location",
  "Link",
  "Retry-After",
  "RateLimit",
  "RateLimit-Policy",
  "X-Total-Count",
  "X-Cache",
  "Cache-Status",
  "Idempotency-Replayed",
  "Deprecation",
  "Sunset",
  "x-d1-bookmark",
  "Server-Timing",
];

const browserCors = honoCors({
  origin: (origin, c: Context<AppEnv>) =>
    c.get("config").CORS_ORIGINS.includes(origin) ? origin : null,
  allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
  allowHeaders: ALLOW_HEADERS,
  exposeHeaders: EXPOSE_HEADERS,
  maxAge: 600,
  credentials: false,
});

/**
 * CORS for the origins in `CORS_ORIGINS` only. A disallowed origin gets no
 * `Access-Control-Allow-Origin`, so the browser blocks it; the request itself is
 * still served to non-browser clients, which CORS never restricted.
 *
 * Requests without `Origin` (API clients, curl, servers — most of our traffic) skip
 * hono's CORS middleware: it writes its headers onto a placeholder response before
 * the route runs and appends `Vary` through `c.header()` afterwards, and each of
 * those makes Hono copy the whole response (docs/benchmarks.md). They only need
 * `Vary: Origin`, so a shared cache never hands a browser's CORS answer to them
 * or the other way round.
 */
export const cors = (): MiddlewareHandler<AppEnv> =>
  async function cors(c, next) {
    if (c.req.header("origin") !== undefined) return browserCors(c, next);
    await next();
    appendHeader(c, "Vary", "Origin");
  };
