import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { backupDrills } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requirePrincipal, requireRole, securityFor } from "../../middleware/auth.ts";
import { BACKUP_DRILL_JOB } from "../../services/backups/lifecycle.ts";
import { QueuedSchema } from "../jobs/get.ts";

export const createDrillRoute = createRoute({
  method: "post",
  path: "/backups/drills",
  tags: ["Backups"],
  operationId: "createBackupDrill",
  summary: "Run a restore drill now (admin; a job)",
  description:
    "Queues a restore drill: the newest successful backup is restored into the scratch database (RESTORE_DRILL), checked against its manifest, and the measured RTO and current RPO are recorded. Poll the job at Location; the drill is at `/api/v2/backups/drills/{drill_id}`.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  responses: {
    202: jsonContent(
      QueuedSchema.extend({ drill_id: QueuedSchema.shape.job_id }).openapi("QueuedDrill"),
      "Queued (Location: the job)",
    ),
    ...apiErrors(),
  },
});

export const createDrillHandler: RouteHandler<typeof createDrillRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const unit = requestWrite(c);
  const drillId = uuidv7();
  const [jobId] = unit.enqueue([
    { type: BACKUP_DRILL_JOB, ownerId: p.userId, payload: { drill_id: drillId } },
  ]);
  unit.audit({
    action: "backup.drill_requested",
    resourceType: "backup_drill",
    resourceId: drillId,
  });
  unit.write(
    unit.db.insert(backupDrills).values({ id: drillId, status: "running", startedAt: nowIso() }),
  );
  await unit.commit();
  c.header("Location", `/api/v2/jobs/${jobId}`);
  return c.json({ job_id: jobId!, status: "queued" as const, drill_id: drillId }, 202);
};
