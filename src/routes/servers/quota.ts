import { ApiError } from "../../lib/problem.ts";

/**
 * A create that would take the caller past `MAX_SERVERS_PER_OWNER`: a 403
 * `quota_exceeded` problem with the quota's name and limit as extension members.
 */
export const quotaExceeded = (limit: number) =>
  new ApiError("quota_exceeded", {
    detail: `You have reached the limit of ${limit} servers per owner; delete servers you no longer need, or ask the operators of this edgepanel to raise the limit`,
    extensions: { quota: "servers_per_owner", limit },
  });
