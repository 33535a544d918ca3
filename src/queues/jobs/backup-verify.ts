import { eq } from "drizzle-orm";
import { z } from "zod";
import { backups } from "../../db/schema.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { nowIso } from "../../lib/ids.ts";
import { BACKUP_VERIFY_JOB } from "../../services/backups/lifecycle.ts";
import { r2Source } from "../../services/backups/objects.ts";
import { verifyBackup } from "../../services/backups/verify.ts";
import { defineJob } from "../define.ts";

/**
 * Re-reads every object of a backup and checks it against the manifest; the
 * verdict (passed or failed, with the first difference) is stored on the backup
 * and audited. A backup that fails verification is a result, not a job failure.
 */
export const backupVerifyJob = defineJob({
  type: BACKUP_VERIFY_JOB,
  payload: z.object({ backup_id: z.string().min(1).max(64) }),
  async handle({ payload, env, config, db, write }) {
    const id = payload.backup_id;
    const ring = await keyringFor(config);
    const started = Date.now();
    const result = await verifyBackup(r2Source(env.BACKUPS), id, ring.all);
    const status = result.ok ? ("passed" as const) : ("failed" as const);
    const error = result.ok ? null : result.error;
    const unit = write();
    unit.auditAs({
      actorType: "system",
      action: result.ok ? "backup.verified" : "backup.verify_failed",
      resourceType: "backup",
      resourceId: id,
      summary: result.ok ? { files: result.value.files, rows: result.value.rows } : { error },
    });
    unit.write(
      db
        .update(backups)
        .set({ verifyStatus: status, verifiedAt: nowIso(), verifyError: error })
        .where(eq(backups.id, id)),
    );
    await unit.commit();
    return {
      backup_id: id,
      status,
      error,
      duration_ms: Date.now() - started,
      ...(result.ok
        ? { files: result.value.files, rows: result.value.rows, bytes: result.value.bytes }
        : {}),
    };
  },
});
