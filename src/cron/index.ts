import { getDatabase } from "../db/client.ts";
import { type Bindings, loadConfig } from "../env.ts";
import { createLogger } from "../observability/logger.ts";
import { startSpan } from "../observability/trace.ts";
import { appendAudit } from "../services/audit/audit-log.ts";
import { runMaintenance } from "./maintenance.ts";
import { enqueueProbes } from "./probes.ts";

type CronTask = (env: Bindings, traceparent: string) => Promise<Record<string, unknown>>;

/**
 * Every Cron Trigger in wrangler.toml, by expression. The scheduled handler looks
 * the expression up here; nothing else decides what runs.
 */
export const CRON_TASKS: Record<string, { name: string; run: CronTask }> = {
  "*/5 * * * *": {
    name: "health-probes",
    run: (env, tp) => enqueueProbes(getDatabase(env), env.JOBS, tp),
  },
  "0 4 * * *": {
    name: "maintenance",
    run: async (env) => {
      const db = getDatabase(env);
      const deleted = await runMaintenance(db);
      await appendAudit(db, {
        actorType: "system",
        action: "maintenance.cleanup",
        resourceType: "database",
        summary: { deleted },
      });
      return { deleted };
    },
  },
};

export async function runScheduled(controller: ScheduledController, env: Bindings): Promise<void> {
  const config = loadConfig(env);
  const trace = startSpan(null);
  const logger = createLogger({ cron: controller.cron, trace_id: trace.traceId }, config.LOG_LEVEL);
  const task = CRON_TASKS[controller.cron];
  if (!task) {
    logger.warn("no task for this cron expression");
    return;
  }
  const started = Date.now();
  try {
    const result = await task.run(env, trace.traceparent);
    logger.info("cron finished", { task: task.name, duration_ms: Date.now() - started, ...result });
  } catch (error) {
    logger.error("cron failed", {
      task: task.name,
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}
