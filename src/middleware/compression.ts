import type { MiddlewareHandler } from "hono";
import { compress } from "hono/compress";
import type { AppEnv } from "../env.ts";

const COMPRESSIBLE = /^(application\/([\w.+-]*json|javascript|xml)|text\/|image\/svg)/i;

/**
 * gzip/deflate for responses of at least `threshold` bytes when the client accepts
 * it. Hono's `compress` alone would also compress tiny JSON bodies (they carry no
 * Content-Length until serialised), costing CPU for nothing; so we measure
 * in-memory bodies first and only hand large ones to it.
 */
export const compression = ({
  threshold = 1024,
}: {
  threshold?: number;
} = {}): MiddlewareHandler<AppEnv> => {
  const gzip = compress({ threshold });
  return async function compression(c, next) {
    if (!c.get("config").COMPRESS_RESPONSES || !c.req.header("accept-encoding")) return next();
    return gzip(c, async () => {
      await next();
      const res = c.res;
      const type = res.headers.get("content-type") ?? "";
      if (!res.body || res.headers.has("content-length") || !COMPRESSIBLE.test(type)) return;
      // Bodies of JSON/HTML routes are strings already in memory: measuring is a copy, not I/O.
      const body = await res.arrayBuffer();
      const headers = new Headers(res.headers);
      headers.set("content-length", String(body.byteLength));
      c.res = new Response(body, { status: res.status, statusText: res.statusText, headers });
    });
  };
};
