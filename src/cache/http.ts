import type { Context, TypedResponse } from "hono";
import type { JSONParsed } from "hono/utils/types";
import type { AppEnv } from "../env.ts";
import { bodyEtag, notModified } from "../lib/etag.ts";
import { ApiError } from "../lib/problem.ts";
import { bumpTags, type CacheOptions, TieredCache } from "./tiered-cache.ts";

/** What a cached JSON route stores: the serialised body and its ETag, ready to send. */
export interface CachedBody {
  body: string;
  etag: string;
  status: number;
}

export interface CachedRoute extends CacheOptions {
  /** Cache name (metrics label and key namespace), e.g. "servers:list". */
  name: string;
  /** Everything the response depends on, including who is asking. */
  key: string;
  tags: string[];
}

const IDENTIFIER = "edgepanel";

/** What a cached route answers: its 200 JSON body, or 304 Not Modified. */
type CachedJson<T> = Response & TypedResponse<JSONParsed<T>, 200, "json">;
type NotModified = Response & TypedResponse<Record<never, never>, 304, string>;

/**
 * Declarative read-through caching for authenticated JSON GETs. The route gives a
 * key that includes the caller's scope (never share one user's data with another),
 * the tags the data depends on, and a loader returning `[body, etag?]`
 * (a resource passes its version ETag so If-Match keeps working; lists get a body hash). Adds
 * `X-Cache` and RFC 9211 `Cache-Status`, a strong ETag (304 on If-None-Match) and
 * `Cache-Control: private, no-cache`. If the loader fails and a stale copy exists,
 * it is served with `X-Cache: STALE` and `Warning: 111`; without one, 503.
 */
export async function cachedJson<T>(
  c: Context<AppEnv>,
  route: CachedRoute,
  loader: () => Promise<[body: T, etag?: string]>,
): Promise<CachedJson<T> | NotModified> {
  const cache = new TieredCache(c.env.CACHE, route.name);
  let result: Awaited<ReturnType<TieredCache["get"]>>;
  try {
    result = await cache.get<CachedBody>(
      route.key,
      route.tags,
      async () => {
        const [data, etag] = await loader();
        const body = JSON.stringify(data);
        return { body, etag: etag ?? (await bodyEtag(body)), status: 200 };
      },
      {
        ...route,
        fallbackOn: (error) => !(error instanceof ApiError),
        // A client may insist on fresh data (RFC 9111 §5.2.1.4); it still refreshes the cache.
        revalidate: /\bno-cache\b/i.test(c.req.header("cache-control") ?? ""),
      },
      (p) => c.executionCtx.waitUntil(p),
    );
  } catch (error) {
    if (error instanceof ApiError) throw error;
    c.get("logger").error("cache loader failed with no stale copy", {
      cache: route.name,
      error: String(error),
    });
    throw new ApiError("service_unavailable", {
      detail: "The data store is unavailable and no cached copy exists; try again shortly",
      headers: { "Retry-After": "5" },
    });
  }
  const { body, etag, status } = result.value as CachedBody;
  c.header("X-Cache", result.outcome);
  c.header(
    "Cache-Status",
    result.outcome === "MISS"
      ? `${IDENTIFIER}; fwd=miss; stored`
      : `${IDENTIFIER}; hit; ttl=${result.ttlLeft}${result.degraded ? '; detail="origin-unavailable"' : ""}`,
  );
  if (result.degraded) c.header("Warning", '111 - "Revalidation Failed"');
  c.header("ETag", etag);
  c.header("Cache-Control", "private, no-cache");
  if (status === 200 && notModified(c, etag)) {
    const res: Response = c.body(null, 304);
    return res as NotModified;
  }
  // Sent as stored (serialised once, never parsed on a hit), so c.body rather than
  // c.json: the narrowing adds the response type c.json would have given, which is
  // true because the body is the JSON of the loader's `T`.
  const res: Response = c.body(body, status as 200, { "Content-Type": "application/json" });
  return res as CachedJson<T>;
}

/** Bumps data-cache tags (writes call this for what they touch). */
export const invalidate = bumpTags;
