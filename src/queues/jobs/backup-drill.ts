import { z } from "zod";
import { keyringFor } from "../../lib/crypto.ts";
import { runDrill } from "../../services/backups/drill.ts";
import { BACKUP_DRILL_JOB } from "../../services/backups/lifecycle.ts";
import { defineJob } from "../define.ts";

/** Runs restore drill `drill_id` into the RESTORE_DRILL scratch database (services/backups/drill.ts). */
export const backupDrillJob = defineJob({
  type: BACKUP_DRILL_JOB,
  payload: z.object({ drill_id: z.string().min(1).max(64) }),
  async handle({ payload, env, config, db, write }) {
    const ring = await keyringFor(config);
    const outcome = await runDrill(
      { db, bucket: env.BACKUPS, scratch: env.RESTORE_DRILL, keys: ring.all },
      payload.drill_id,
    );
    await write()
      .auditAs({
        actorType: "system",
        action: outcome.status === "passed" ? "backup.drill_passed" : "backup.drill_failed",
        resourceType: "backup_drill",
        resourceId: payload.drill_id,
        summary: {
          backup_id: outcome.backupId,
          rto_seconds: outcome.rtoSeconds,
          rpo_seconds: outcome.rpoSeconds,
          ...(outcome.error ? { error: outcome.error.slice(0, 200) } : {}),
        },
      })
      .commit();
    return {
      drill_id: payload.drill_id,
      status: outcome.status,
      backup_id: outcome.backupId,
      rto_seconds: outcome.rtoSeconds,
      rpo_seconds: outcome.rpoSeconds,
      row_counts: outcome.rows,
      error: outcome.error,
    };
  },
});
