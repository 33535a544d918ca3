import { requestSeal } from "../audit/wake.ts";
import { getDatabase } from "../db/client.ts";
import { type Bindings, loadConfig } from "../env.ts";
import { systemWrite } from "../lib/mutate.ts";
import type { Logger } from "../observability/logger.ts";
import { createLogger } from "../observability/logger.ts";
import { startSpan } from "../observability/trace.ts";
import { sweepUnsentJobs } from "../queues/enqueue.ts";
import { startAuditArchive, startDrill, startNightlyBackup } from "./backups.ts";
import { runMaintenance } from "./maintenance.ts";
import { enqueueProbes } from "./probes.ts";
import { recordStatusHistory } from "./status-history.ts";

export interface CronRun {
  env: Bindings;
  ctx: ExecutionContext;
  traceparent: string;
  logger: Logger;
}
type CronTask = (run: CronRun) => Promise<Record<string, unknown>>;

/**
 * Every Cron Trigger in wrangler.toml, by expression. The scheduled handler looks
 * the expression up here; nothing else decides what runs.
 */
export const CRON_TASKS: Record<string, { name: string; run: CronTask }> = {
  "*/5 * * * *": {
    name: "health-probes",
    // Also the safety net of the write path: jobs committed but never sent are
    // sent, and the audit sequencer is woken in case every other wake-up was lost.
    // It also probes the platform's components and rolls the probe history up by
    // day for the status page.
    run: async ({ env, traceparent, logger }) => {
      const db = getDatabase(env);
      const probes = await enqueueProbes(db, env.JOBS, traceparent);
      const resent = await sweepUnsentJobs(db, env.JOBS);
      await requestSeal(env.AUDIT_SEQUENCER);
      const status = await recordStatusHistory(env, logger);
      return { ...probes, unsent_jobs_resent: resent, ...status };
    },
  },
  "0 4 * * *": {
    name: "maintenance",
    run: async ({ env, ctx, logger }) => {
      const deleted = await runMaintenance(getDatabase(env), Date.now(), {
        files: env.FILES,
        retentionDays: loadConfig(env).SUBMISSION_RETENTION_DAYS,
      });
      await systemWrite(env, ctx, logger)
        .auditAs({
          actorType: "system",
          action: "maintenance.cleanup",
          resourceType: "database",
          summary: { deleted },
        })
        .commit();
      return { deleted };
    },
  },
  "0 2 * * *": { name: "backup", run: startNightlyBackup },
  "0 3 * * 0": { name: "audit-archive", run: startAuditArchive },
  "0 5 * * 0": { name: "restore-drill", run: startDrill },
};

export async function runScheduled(
  controller: ScheduledController,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
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
    const result = await task.run({ env, ctx, traceparent: trace.traceparent, logger });
    logger.info("cron finished", { task: task.name, duration_ms: Date.now() - started, ...result });
  } catch (error) {
    logger.error("cron failed", {
      task: task.name,
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}
