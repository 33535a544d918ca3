import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, eq, ne } from "drizzle-orm";
import { backups } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { deleteBackupObjects } from "../../services/backups/retention-run.ts";
import { getBackup } from "../../services/backups/store.ts";
import { BackupIdParam } from "./schemas.ts";

export const deleteBackupRoute = createRoute({
  method: "delete",
  path: "/backups/{id}",
  tags: ["Backups"],
  operationId: "deleteBackup",
  summary: "Delete a backup and its objects (admin)",
  description:
    "Deletes every object of the backup from R2, then its record. A running backup cannot be deleted (409). Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { params: BackupIdParam },
  responses: {
    204: { description: "Deleted" },
    ...apiErrors("not_found", "conflict"),
  },
});

export const deleteBackupHandler: RouteHandler<typeof deleteBackupRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const row = await getBackup(c.get("db"), id);
  if (!row) throw new ApiError("not_found", { detail: "No backup with that id" });
  if (row.status === "running")
    throw new ApiError("conflict", { detail: "The backup is still running" });
  // Objects first: if this fails half way, the record stays and the delete can be repeated.
  const objects = await deleteBackupObjects(c.env.BACKUPS, id);
  const unit = requestWrite(c);
  unit.audit({
    action: "backup.deleted",
    resourceType: "backup",
    resourceId: id,
    summary: { objects, started_at: row.startedAt },
  });
  unit.write(unit.db.delete(backups).where(and(eq(backups.id, id), ne(backups.status, "running"))));
  await unit.commit();
  return c.body(null, 204);
};
