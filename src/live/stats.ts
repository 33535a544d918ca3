import { getDatabase } from "../db/client.ts";
import type { Bindings } from "../env.ts";
import { type AdminStats, cachedStats } from "../services/stats/stats.ts";

/**
 * The figures a `stats.tick` carries: exactly `GET /api/v2/admin/stats`'s body, from
 * the same 10-second cache, so a dashboard's cards never disagree with the API.
 * Computed by the hub once per tick, however many dashboards are connected.
 */
export function liveStats(env: Bindings): Promise<AdminStats> {
  return cachedStats(getDatabase(env), env.METRICS);
}
