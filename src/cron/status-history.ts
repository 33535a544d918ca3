import { getDatabase } from "../db/client.ts";
import { type Bindings, loadConfig } from "../env.ts";
import type { Logger } from "../observability/logger.ts";
import { probeComponents, recordComponentChecks } from "../services/status/components.ts";
import { rollUp } from "../services/status/rollup.ts";

/**
 * The status page's history, every 5 minutes: probe the components and record the
 * results, then roll the raw checks up by day (today, yesterday, and any day since
 * the last run). Each half is attempted even if the other fails: a roll-up after a
 * failed recording still folds in the servers' probes.
 */
export async function recordStatusHistory(env: Bindings, logger: Logger, now = Date.now()) {
  const db = getDatabase(env);
  const checks = await probeComponents({
    db,
    cache: env.CACHE,
    files: env.FILES,
    checkConfig: () => void loadConfig(env),
    now,
  });
  let recorded = 0;
  try {
    await recordComponentChecks(db, checks, now);
    recorded = checks.length;
  } catch (error) {
    logger.error("component checks not recorded", { error: String(error) });
  }
  const failing = checks.filter((c) => c.status !== "up").map((c) => c.component);
  if (failing.length) logger.warn("components not fully up", { components: failing });
  const days = await rollUp(db, now);
  return { component_checks: recorded, rolled_up_days: days.length };
}
