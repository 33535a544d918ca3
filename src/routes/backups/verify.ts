import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { rowExists } from "../../db/mutation.ts";
import { backups } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal, requireRole, securityFor } from "../../middleware/auth.ts";
import { BACKUP_VERIFY_JOB } from "../../services/backups/lifecycle.ts";
import { getBackup } from "../../services/backups/store.ts";
import { QueuedSchema } from "../jobs/get.ts";
import { BackupIdParam } from "./schemas.ts";

export const verifyBackupRoute = createRoute({
  method: "post",
  path: "/backups/{id}/verify",
  tags: ["Backups"],
  operationId: "verifyBackup",
  summary: "Verify a backup again (admin; a job)",
  description:
    "Queues a job that re-reads every object of the backup from R2 and checks sizes, SHA-256 checksums (stored, compressed and plain), decryption and row counts against its manifest. The verdict is stored on the backup (`verification`). A backup that is not finished is a 409.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { params: BackupIdParam },
  responses: {
    202: jsonContent(QueuedSchema, "Queued (Location: the job)"),
    ...apiErrors("not_found", "conflict"),
  },
});

export const verifyBackupHandler: RouteHandler<typeof verifyBackupRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const { id } = c.req.valid("param");
  const row = await getBackup(c.get("db"), id);
  if (!row) throw new ApiError("not_found", { detail: "No backup with that id" });
  if (row.status !== "succeeded")
    throw new ApiError("conflict", {
      detail: `The backup is ${row.status}; only a finished backup can be verified`,
    });
  const unit = requestWrite(c);
  // Still there and finished when the batch commits (a concurrent delete wins).
  unit.onlyIf(rowExists(backups, and(eq(backups.id, id), eq(backups.status, "succeeded"))!));
  const [jobId] = unit.enqueue([
    {
      type: BACKUP_VERIFY_JOB,
      jobId: `backup:${id}:verify:${uuidv7()}`,
      ownerId: p.userId,
      payload: { backup_id: id },
    },
  ]);
  unit.audit({ action: "backup.verify_requested", resourceType: "backup", resourceId: id });
  await unit.commit();
  c.header("Location", `/api/v2/jobs/${jobId}`);
  return c.json({ job_id: jobId!, status: "queued" as const }, 202);
};
