import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { backupDrills } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal, requireRole, securityFor } from "../../middleware/auth.ts";
import { BACKUP_DRILL_JOB } from "../../services/backups/lifecycle.ts";
import { listDrills } from "../../services/backups/store.ts";
import { QueuedSchema } from "../jobs/get.ts";
import {
  DrillIdParam,
  DrillListSchema,
  DrillSchema,
  ListBackupsQuery,
  toDrillDto,
} from "./schemas.ts";

export const listDrillsRoute = createRoute({
  method: "get",
  path: "/backups/drills",
  tags: ["Backups"],
  operationId: "listBackupDrills",
  summary: "Restore drills, newest first (admin): measured RTO, RPO and restored row counts",
  description:
    "Every restore drill (the weekly cron's and those started by hand), newest first: which backup was restored into the scratch database, whether every checksum and row count matched, the measured RTO (seconds until the copy was verified) and the RPO at the time (age of the newest verified backup). Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { query: ListBackupsQuery },
  responses: {
    200: jsonContent(DrillListSchema, "A page of drills"),
    ...apiErrors(),
  },
});

const SORT = "-started_at";

export const listDrillsHandler: RouteHandler<typeof listDrillsRoute, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const k = cursor ? decodeCursor(cursor, SORT, 2).k : undefined;
  const page = await listDrills(
    c.get("db"),
    limit,
    k ? { startedAt: String(k[0]), id: String(k[1]) } : undefined,
  );
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      data: page.rows.map(toDrillDto),
      next_cursor:
        page.hasMore && last ? encodeCursor({ s: SORT, k: [last.startedAt, last.id] }) : null,
    },
    200,
  );
};

export const getDrillRoute = createRoute({
  method: "get",
  path: "/backups/drills/{id}",
  tags: ["Backups"],
  operationId: "getBackupDrill",
  summary: "One restore drill (admin)",
  description: "A restore drill: its status, the backup it restored, RTO, RPO and row counts.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { params: DrillIdParam },
  responses: {
    200: jsonContent(DrillSchema, "The drill"),
    ...apiErrors("not_found"),
  },
});

export const getDrillHandler: RouteHandler<typeof getDrillRoute, AppEnv> = async (c) => {
  const row = await c
    .get("db")
    .select()
    .from(backupDrills)
    .where(eq(backupDrills.id, c.req.valid("param").id))
    .get();
  if (!row) throw new ApiError("not_found", { detail: "No drill with that id" });
  c.header("Cache-Control", "private, no-store");
  return c.json(toDrillDto(row), 200);
};

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
