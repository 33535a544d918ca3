import { z } from "zod";
import { keyringFor } from "../../lib/crypto.ts";
import { runBackupStep } from "../../services/backups/backup.ts";
import {
  BACKUP_RUN_JOB,
  completeBackup,
  continueBackup,
  failBackup,
} from "../../services/backups/lifecycle.ts";
import { getBackup } from "../../services/backups/store.ts";
import { MAX_DELIVERIES } from "../consumer.ts";
import { defineJob } from "../define.ts";

/**
 * One step of a backup (services/backups/backup.ts). A step that runs out of its
 * time budget commits the next step and its job together; the last step writes
 * the manifest, marks the backup succeeded, emits `backup.completed` and queues the
 * verification. After the last delivery fails, the backup is marked failed and
 * `backup.failed` is emitted.
 */
export const backupRunJob = defineJob({
  type: BACKUP_RUN_JOB,
  payload: z.object({ backup_id: z.string().min(1).max(64), step: z.number().int().min(0) }),
  async handle({ payload, env, config, db, attempt, write }) {
    const { backup_id: id, step } = payload;
    const ring = await keyringFor(config);
    try {
      const outcome = await runBackupStep(
        { db, d1: env.DB, bucket: env.BACKUPS, sealing: ring.current },
        id,
        step,
      );
      if (outcome.kind === "superseded") return { backup_id: id, step, superseded: true };
      const row = (await getBackup(db, id))!;
      const unit = write();
      if (outcome.kind === "continue") {
        continueBackup(unit, id, step, row.requestedBy);
        await unit.commit();
        return { backup_id: id, step, continued: true, files: outcome.files };
      }
      const view = completeBackup(unit, row, step, outcome.manifest, outcome.sizeBytes);
      await unit.commit();
      return { backup_id: id, step, size_bytes: view.size_bytes, rows: view.rows };
    } catch (error) {
      if (attempt >= MAX_DELIVERIES) {
        const row = await getBackup(db, id);
        if (row?.status === "running") {
          const unit = write();
          failBackup(unit, row, error instanceof Error ? error.message : String(error));
          await unit.commit();
        }
      }
      throw error;
    }
  },
});
