import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { backupView } from "../../services/backups/lifecycle.ts";
import { getBackup } from "../../services/backups/store.ts";
import { BackupIdParam, BackupSchema } from "./schemas.ts";

export const getBackupRoute = createRoute({
  method: "get",
  path: "/backups/{id}",
  tags: ["Backups"],
  operationId: "getBackup",
  summary: "One backup (admin)",
  description: "A backup's status, size, rows per table, timings and verification. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { params: BackupIdParam },
  responses: {
    200: jsonContent(BackupSchema, "The backup"),
    ...apiErrors("not_found"),
  },
});

export const getBackupHandler: RouteHandler<typeof getBackupRoute, AppEnv> = async (c) => {
  const row = await getBackup(c.get("db"), c.req.valid("param").id);
  if (!row) throw new ApiError("not_found", { detail: "No backup with that id" });
  c.header("Cache-Control", "private, no-store");
  return c.json(backupView(row), 200);
};
