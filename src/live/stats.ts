import { getDatabase } from "../db/client.ts";
import type { Bindings } from "../env.ts";
import { countServersByStatus } from "../services/servers/servers.ts";

/**
 * The figures a `stats.tick` carries. Computed once per tick by the hub, however
 * many dashboards are connected.
 */
export async function liveStats(env: Bindings): Promise<Record<string, unknown>> {
  const byStatus = await countServersByStatus(getDatabase(env));
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return {
    generated_at: new Date().toISOString(),
    servers: {
      total,
      by_status: { up: 0, degraded: 0, down: 0, unknown: 0, ...byStatus },
    },
  };
}
