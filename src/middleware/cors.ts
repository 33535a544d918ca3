import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv } from "../env.ts";

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

/**
 * CORS for the origins in `CORS_ORIGINS` only. A disallowed origin gets no
 * `Access-Control-Allow-Origin`, so the browser blocks it; the request itself is
 * still served to non-browser clients, which CORS never restricted.
 */
export const cors = (): MiddlewareHandler<AppEnv> =>
  honoCors({
    origin: (origin, c) => (c.get("config").CORS_ORIGINS.includes(origin) ? origin : null),
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
    credentials: false,
  });
