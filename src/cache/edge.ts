/**
 * The edge cache's tag index. `caches.default` can only delete by URL outside
 * Cloudflare's global purge, so the URLs stored under each tag are kept in KV
 * (`edge-tag:<tag>`) by the `edgeCache` middleware (src/middleware/edge-cache.ts)
 * and read back here to purge this location.
 */

const TAG_INDEX_LIMIT = 500;

/** Records that `url` is stored under each of `tags` (the newest URLs win past the limit). */
export async function indexTags(kv: KVNamespace, tags: string[], url: string) {
  for (const tag of tags) {
    const urls = (await kv.get<string[]>(`edge-tag:${tag}`, "json")) ?? [];
    if (urls.includes(url)) continue;
    await kv.put(`edge-tag:${tag}`, JSON.stringify([...urls, url].slice(-TAG_INDEX_LIMIT)));
  }
}

/** Deletes cached URLs in this location: the given URLs and every URL indexed under the tags. */
export async function purgeLocal(
  kv: KVNamespace,
  { tags = [], urls = [] }: { tags?: string[]; urls?: string[] },
) {
  const targets = new Set(urls);
  for (const tag of tags)
    for (const u of (await kv.get<string[]>(`edge-tag:${tag}`, "json")) ?? []) targets.add(u);
  let deleted = 0;
  for (const u of targets)
    if (await caches.default.delete(new Request(u, { method: "GET" }))) deleted++;
  return { urls: targets.size, deleted };
}
