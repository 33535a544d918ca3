import { purgeLocal } from "../../cache/edge.ts";
import { invalidate } from "../../cache/http.ts";
import { resilientFetch } from "../../outbound/fetch.ts";

export interface PurgeRequest {
  tags?: string[];
  urls?: string[];
}

export type GlobalPurge =
  | { status: "skipped"; reason: string }
  | { status: "purged" }
  | { status: "failed"; error: string };

export interface PurgeEnv {
  CACHE: KVNamespace;
}

/**
 * Purges in this location (Cache API by URL, plus the data-cache tags of the same
 * names) and, when CF_ZONE_ID and CF_API_TOKEN are set, everywhere through
 * Cloudflare's purge API (by tag and by URL), via the resilient fetch (timeout,
 * retries honouring 429 Retry-After, circuit breaker).
 */
export async function purge(
  env: PurgeEnv,
  config: { CF_ZONE_ID?: string | undefined; CF_API_TOKEN?: string | undefined },
  req: PurgeRequest,
  traceparent?: string,
) {
  const local = await purgeLocal(env.CACHE, req);
  if (req.tags?.length) await invalidate(env.CACHE, req.tags);
  let global: GlobalPurge = {
    status: "skipped",
    reason: "CF_ZONE_ID and CF_API_TOKEN are not set",
  };
  if (config.CF_ZONE_ID && config.CF_API_TOKEN) {
    try {
      const bodies = [
        ...(req.tags?.length ? [{ tags: req.tags }] : []),
        ...(req.urls?.length ? [{ files: req.urls }] : []),
      ];
      for (const body of bodies) {
        const res = await resilientFetch(
          `https://api.cloudflare.com/client/v4/zones/${encodeURIComponent(config.CF_ZONE_ID)}/purge_cache`,
          {
            method: "POST",
            headers: {
              authorization: `Bearer ${config.CF_API_TOKEN}`,
              "content-type": "application/json",
            },
            body: JSON.stringify(body),
          },
          { purpose: "purge", traceparent, timeoutMs: 10_000, retries: 3 },
        );
        const json = (await res.json().catch(() => null)) as {
          success?: boolean;
          errors?: { message?: string }[];
        } | null;
        if (!res.ok || !json?.success) {
          throw new Error(
            `Cloudflare purge answered ${res.status}${json?.errors?.[0]?.message ? `: ${json.errors[0].message}` : ""}`,
          );
        }
      }
      global = { status: "purged" };
    } catch (error) {
      global = { status: "failed", error: error instanceof Error ? error.message : String(error) };
    }
  }
  return { local: { ...local, tags: req.tags ?? [] }, global };
}
