import { backupDrills } from "../db/schema.ts";
import { nowIso, uuidv7 } from "../lib/ids.ts";
import { systemWrite } from "../lib/mutate.ts";
import { AUDIT_ARCHIVE_JOB, BACKUP_DRILL_JOB, startBackup } from "../services/backups/lifecycle.ts";
import { applyRetention } from "../services/backups/retention-run.ts";
import type { CronRun } from "./index.ts";

/**
 * `0 2 * * *`: queues tonight's backup (skipped while one is still running), then
 * applies the retention to the finished ones.
 */
export async function startNightlyBackup({ env, ctx, logger, traceparent }: CronRun) {
  const unit = systemWrite(env, ctx, logger, traceparent);
  const backup = startBackup(unit, { trigger: "scheduled", requestedBy: null });
  unit.auditAs({
    actorType: "system",
    action: "backup.requested",
    resourceType: "backup",
    resourceId: backup.id,
  });
  const inserted = backup.insert();
  const started = (await unit.commit())(inserted).length > 0;
  if (!started) logger.warn("a backup is still running; tonight's is skipped");
  const retention = await applyRetention(unit.db, env.BACKUPS);
  return { backup_id: started ? backup.id : null, ...retention, deleted: retention.deleted.length };
}

/** `0 3 * * 0`: queues the audit-log archiving job. */
export async function startAuditArchive({ env, ctx, logger, traceparent }: CronRun) {
  const unit = systemWrite(env, ctx, logger, traceparent);
  const [jobId] = unit.enqueue([{ type: AUDIT_ARCHIVE_JOB, payload: { round: 0 } }]);
  await unit.commit();
  return { job_id: jobId };
}

/** `0 5 * * 0`: queues a restore drill of the newest backup. */
export async function startDrill({ env, ctx, logger, traceparent }: CronRun) {
  const unit = systemWrite(env, ctx, logger, traceparent);
  const drillId = uuidv7();
  const [jobId] = unit.enqueue([{ type: BACKUP_DRILL_JOB, payload: { drill_id: drillId } }]);
  unit.auditAs({
    actorType: "system",
    action: "backup.drill_requested",
    resourceType: "backup_drill",
    resourceId: drillId,
  });
  unit.write(
    unit.db.insert(backupDrills).values({ id: drillId, status: "running", startedAt: nowIso() }),
  );
  await unit.commit();
  return { drill_id: drillId, job_id: jobId };
}
