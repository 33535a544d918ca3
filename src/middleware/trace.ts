import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { setHeader } from "../lib/response-headers.ts";
import { startSpan } from "../observability/trace.ts";

/**
 * Continues the caller's W3C trace (or starts one) and, when the caller sent a
 * `traceparent`, answers with `traceresponse` (Trace Context Level 2) so it can find
 * its request in our logs. Outbound calls and jobs read `c.get("trace").traceparent`.
 */
export const trace = (): MiddlewareHandler<AppEnv> =>
  async function trace(c, next) {
    const inbound = c.req.header("traceparent");
    const span = startSpan(inbound);
    c.set("trace", span);
    await next();
    // Only callers that take part in tracing get `traceresponse`; everyone gets
    // X-Request-Id, which finds the same log lines.
    if (inbound !== undefined) setHeader(c, "traceresponse", span.traceparent);
  };
