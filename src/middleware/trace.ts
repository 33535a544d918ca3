import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { startSpan } from "../observability/trace.ts";

/**
 * Continues the caller's W3C trace (or starts one) and answers with
 * `traceresponse` (Trace Context Level 2) so a client can find its request in our
 * logs. Outbound calls and jobs read `c.get("trace").traceparent`.
 */
export const trace = (): MiddlewareHandler<AppEnv> =>
  async function trace(c, next) {
    const span = startSpan(c.req.header("traceparent"));
    c.set("trace", span);
    await next();
    c.header("traceresponse", span.traceparent);
  };
