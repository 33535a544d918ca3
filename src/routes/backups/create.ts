import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal, requireRole, securityFor } from "../../middleware/auth.ts";
import { idempotency } from "../../middleware/idempotency.ts";
import { startBackup } from "../../services/backups/lifecycle.ts";
import { QueuedSchema } from "../jobs/get.ts";

export const createBackupRoute = createRoute({
  method: "post",
  path: "/backups",
  tags: ["Backups"],
  operationId: "createBackup",
  summary: "Start a backup now (admin; a job)",
  description:
    "Queues a backup of every table to R2 (gzip NDJSON, AES-256-GCM encrypted, with a manifest of row counts and checksums). Poll the job at Location; the backup itself is at `/api/v2/backups/{backup_id}`. It is verified automatically when it completes. One backup runs at a time: a 409 while another is running.",
  security: securityFor("admin"),
  middleware: [requireRole("admin"), idempotency()] as const,
  responses: {
    202: jsonContent(
      QueuedSchema.extend({ backup_id: QueuedSchema.shape.job_id }).openapi("QueuedBackup"),
      "Queued (Location: the job)",
    ),
    ...apiErrors("conflict"),
  },
});

export const createBackupHandler: RouteHandler<typeof createBackupRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const unit = requestWrite(c);
  const backup = startBackup(unit, { trigger: "manual", requestedBy: p.userId });
  unit.audit({ action: "backup.requested", resourceType: "backup", resourceId: backup.id });
  const inserted = backup.insert();
  const read = await unit.commit();
  if (!read(inserted).length)
    throw new ApiError("conflict", {
      detail: "A backup is already running; try again when it has finished",
    });
  c.header("Location", `/api/v2/jobs/${backup.jobId}`);
  return c.json({ job_id: backup.jobId, status: "queued" as const, backup_id: backup.id }, 202);
};
