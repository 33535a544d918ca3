import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { uuidv7 } from "../lib/ids.ts";
import { setHeader } from "../lib/response-headers.ts";

const SANE_ID = /^[\w=-]{1,128}$/;

/**
 * Echoes a sane inbound `X-Request-Id` (1–128 chars of `[A-Za-z0-9_=-]`) or mints
 * a UUIDv7 (sortable by time), and sets it on whatever response goes out.
 *
 * Not hono's requestId middleware: it sets the header before the route runs,
 * which a route that returns its own `Response` (cache hits, docs) drops.
 */
export const requestId = (): MiddlewareHandler<AppEnv> =>
  async function requestId(c, next) {
    const inbound = c.req.header("x-request-id");
    const id = inbound !== undefined && SANE_ID.test(inbound) ? inbound : uuidv7();
    c.set("requestId", id);
    await next();
    setHeader(c, "X-Request-Id", id);
  };
