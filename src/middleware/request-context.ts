import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { uuidv7 } from "../lib/ids.ts";
import { writeHeaders } from "../lib/response-headers.ts";
import { SPAN_RANDOM_BYTES, startSpan } from "../observability/trace.ts";
import { applySecurityHeaders } from "./security-headers.ts";

const SANE_ID = /^[\w=-]{1,128}$/;

/**
 * The outermost middleware: who this request is (request id, trace) on the way in;
 * the headers every response carries on the way out, whatever produced it (a route,
 * a cache hit, an error).
 *
 * - `X-Request-Id`: a sane inbound one (1–128 chars of `[A-Za-z0-9_=-]`) is echoed,
 *   otherwise a UUIDv7 is minted (sortable by time).
 * - W3C trace context: the caller's trace is continued or one is started; callers
 *   that sent `traceparent` get `traceresponse` (Trace Context Level 2).
 * - The security headers (src/middleware/security-headers.ts).
 *
 * One middleware, not three, because each is a few µs of work and each layer of
 * Hono's chain, each random draw and each header write costs about as much again:
 * here the request draws its randomness once (span id, trace id and the request id's
 * random bits) and its response headers are written in one pass.
 *
 * Not hono's requestId or secureHeaders: they set headers before the route runs,
 * which a route that returns its own `Response` (cache hits, docs) drops.
 */
export const requestContext = (): MiddlewareHandler<AppEnv> =>
  async function requestContext(c, next) {
    const traceparent = c.req.header("traceparent");
    const inboundId = c.req.header("x-request-id");
    const random = crypto.getRandomValues(new Uint8Array(SPAN_RANDOM_BYTES + 10));
    const span = startSpan(traceparent, random);
    const id =
      inboundId !== undefined && SANE_ID.test(inboundId)
        ? inboundId
        : uuidv7(Date.now(), random, SPAN_RANDOM_BYTES);
    c.set("requestId", id);
    c.set("trace", span);
    await next();
    writeHeaders(c, (h) => {
      h.set("X-Request-Id", id);
      // Only callers that take part in tracing get `traceresponse`; everyone gets
      // X-Request-Id, which finds the same log lines.
      if (traceparent !== undefined) h.set("traceresponse", span.traceparent);
      applySecurityHeaders(h);
    });
  };
