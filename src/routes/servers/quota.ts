import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal } from "../../middleware/auth.ts";
import { checkServerQuota } from "../../services/servers/quota.ts";

/**
 * Refuses a create that would take the caller past `MAX_SERVERS_PER_OWNER`: a 403
 * `quota_exceeded` problem with the quota's name and limit as extension members.
 */
export async function enforceServerQuota(c: Context<AppEnv>): Promise<void> {
  const limit = c.get("config").MAX_SERVERS_PER_OWNER;
  const verdict = await checkServerQuota(c.get("db"), requirePrincipal(c).userId, limit);
  if (!verdict.ok)
    throw new ApiError("quota_exceeded", {
      detail: `You have reached the limit of ${limit} servers per owner; delete servers you no longer need, or ask the operators of this edgepanel to raise the limit`,
      extensions: { quota: "servers_per_owner", limit },
    });
}
