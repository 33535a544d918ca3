import { purgeLocal } from "../../cache/edge.ts";
import { invalidate } from "../../cache/http.ts";
import { Coalescer } from "../../lib/coalesce.ts";
import { serverTags } from "./servers.ts";

/**
 * After any write to a server: bump its data-cache tags (lists and the resource,
 * immediately for the writer), and drop this location's copy of the public status
 * page, whose counts it changes (at most once a second). Other locations' copies age out within the page's
 * 30 s TTL; a global purge per write would run into the purge API's rate limits.
 */
export async function invalidateServer(
  env: { CACHE: KVNamespace },
  ownerId: string,
  id: string,
): Promise<void> {
  await Promise.all([
    invalidate(env.CACHE, serverTags(ownerId, id)),
    statusPurges.run("status", () => purgeLocal(env.CACHE, { tags: ["status"] }).catch(() => {})),
  ]);
}

// At most one purge of the status page per second per isolate: it caches for 30 s,
// and under a burst of writes one purge covers them all.
const statusPurges = new Coalescer(1_000);
