import type { MiddlewareHandler } from "hono";
import { sessionDatabase } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import { setHeader } from "../lib/response-headers.ts";

/**
 * Exposes a request-scoped database on the context (D1 Sessions API: the client's
 * `x-d1-bookmark` in, the session's bookmark out, so a client reads its own writes).
 */
export const d1Session = (): MiddlewareHandler<AppEnv> =>
  async function d1Session(c, next) {
    const { db, bookmark } = sessionDatabase(c.env, c.req.method, c.req.header("x-d1-bookmark"));
    c.set("db", db);
    await next();
    const b = bookmark();
    if (b) setHeader(c, "x-d1-bookmark", b);
  };
