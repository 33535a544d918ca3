import { purgeLocal } from "../../cache/edge.ts";
import { invalidate } from "../../cache/http.ts";
import { serverTags } from "./servers.ts";

/**
 * After any write to a server: bump its data-cache tags (lists and the resource,
 * immediately for the writer), and drop this location's copy of the public status
 * page, whose counts it changes. Other locations' copies age out within the page's
 * 30 s TTL; a global purge per write would run into the purge API's rate limits.
 */
export async function invalidateServer(
  env: { CACHE: KVNamespace },
  ownerId: string,
  id: string,
): Promise<void> {
  await invalidate(env.CACHE, serverTags(ownerId, id));
  await purgeLocal(env.CACHE, { tags: ["status"] }).catch(() => {});
}
