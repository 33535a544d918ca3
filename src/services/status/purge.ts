import { purge } from "../cache/purge.ts";

/**
 * Purges the status page, its JSON and its feed after an incident or a published
 * tag changed: here at once, and everywhere when the Cloudflare API is configured
 * (an admin's change is rare, unlike server writes, so a global purge is affordable).
 * Throws when the global purge failed, so the write unit retries it in the background.
 */
export async function purgeStatusPage(
  env: { CACHE: KVNamespace },
  config: { CF_ZONE_ID?: string | undefined; CF_API_TOKEN?: string | undefined },
  traceparent?: string,
): Promise<void> {
  const result = await purge(env, config, { tags: ["status"] }, traceparent);
  if (result.global.status === "failed")
    throw new Error(`global purge of the status page failed: ${result.global.error}`);
}
