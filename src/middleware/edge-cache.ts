import type { MiddlewareHandler } from "hono";
import { indexTags } from "../cache/edge.ts";
import type { AppEnv } from "../env.ts";
import { newNonce, renewNonce } from "../lib/html.ts";
import { increment } from "../observability/metrics.ts";

/** Headers that belong to one request and must not be stored with a shared response. */
const PER_REQUEST = [
  "x-request-id",
  "traceresponse",
  "server-timing",
  "set-cookie",
  "x-d1-bookmark",
  "ratelimit",
  "ratelimit-policy",
];

/**
 * Public GETs through the Workers Cache API, tagged with `Cache-Tag` (so Cloudflare
 * can purge them by tag globally). Locally, `caches.default` can only delete by
 * URL, so the URLs stored under each tag are indexed in KV (see src/cache/edge.ts).
 * Only for responses that are the same for everyone (no auth, no per-user data).
 */
export const edgeCache = ({
  tags,
  maxAge = 60,
}: {
  tags: string[];
  maxAge?: number;
}): MiddlewareHandler<AppEnv> =>
  async function edgeCache(c, next) {
    // No Cache API outside workerd (e.g. the OpenAPI export script in Node).
    if (c.req.method !== "GET" || typeof caches === "undefined") return next();
    const key = new Request(c.req.url, { method: "GET" });
    const hit = await caches.default.match(key);
    if (hit) {
      increment("cache_requests_total", { cache: "edge", outcome: "hit" });
      const res = await freshNonce(hit);
      res.headers.set("X-Cache", "HIT");
      res.headers.set("Cache-Status", "edgepanel-edge; hit");
      return res;
    }
    increment("cache_requests_total", { cache: "edge", outcome: "miss" });
    await next();
    if (c.res.status !== 200) return;
    c.res.headers.set("Cache-Control", `public, max-age=${maxAge}`);
    c.res.headers.set("Cache-Tag", tags.join(","));
    c.res.headers.set("X-Cache", "MISS");
    c.res.headers.set("Cache-Status", "edgepanel-edge; fwd=uri-miss; stored");
    // Buffered, not a tee of the live body: these pages are small, and a stored copy
    // must not depend on the client reading the original stream.
    const headers = new Headers(c.res.headers);
    for (const h of PER_REQUEST) headers.delete(h);
    headers.delete("content-length");
    const body = await c.res.clone().arrayBuffer();
    const stored = new Response(body, { status: 200, headers });
    c.executionCtx.waitUntil(
      Promise.all([caches.default.put(key, stored), indexTags(c.env.CACHE, tags, c.req.url)]).catch(
        () => {},
      ),
    );
  };

/**
 * A cached HTML page carries the nonce of the response that was stored. Nonces
 * must not repeat, so every hit gets a new one, in the CSP header and in the
 * page's tags (and csp-nonce meta tag) alike (the pages are a few KiB).
 */
async function freshNonce(hit: Response): Promise<Response> {
  const csp = hit.headers.get("content-security-policy") ?? "";
  const old = /'nonce-([^']+)'/.exec(csp)?.[1];
  if (!old || !hit.headers.get("content-type")?.includes("text/html"))
    return new Response(hit.body, hit);
  const nonce = newNonce();
  const body = renewNonce(await hit.text(), old, nonce);
  const res = new Response(body, hit);
  res.headers.set("content-security-policy", csp.replaceAll(`'nonce-${old}'`, `'nonce-${nonce}'`));
  res.headers.delete("content-length");
  return res;
}
