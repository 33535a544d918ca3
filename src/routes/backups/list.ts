import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { backupView } from "../../services/backups/lifecycle.ts";
import { listBackups } from "../../services/backups/store.ts";
import { nextCursor, startedAfter } from "./cursor.ts";
import { BackupListSchema, ListBackupsQuery } from "./schemas.ts";

export const listBackupsRoute = createRoute({
  method: "get",
  path: "/backups",
  tags: ["Backups"],
  operationId: "listBackups",
  summary: "Backups, newest first (admin): status, size, row counts, duration, verification",
  description:
    "Every backup, newest first, with cursor pagination: its status, size in R2, rows per table, how long it took and whether its verification passed. Admins only (operators and viewers get a 403).",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { query: ListBackupsQuery },
  responses: {
    200: jsonContent(BackupListSchema, "A page of backups"),
    ...apiErrors(),
  },
});

export const listBackupsHandler: RouteHandler<typeof listBackupsRoute, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await listBackups(c.get("db"), limit, startedAfter(cursor));
  c.header("Cache-Control", "private, no-store");
  return c.json({ data: page.rows.map(backupView), next_cursor: nextCursor(page) }, 200);
};
