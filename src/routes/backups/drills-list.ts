import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { listDrills } from "../../services/backups/store.ts";
import { nextCursor, startedAfter } from "./cursor.ts";
import { DrillListSchema, ListBackupsQuery, toDrillDto } from "./schemas.ts";

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

export const listDrillsHandler: RouteHandler<typeof listDrillsRoute, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const page = await listDrills(c.get("db"), limit, startedAfter(cursor));
  c.header("Cache-Control", "private, no-store");
  return c.json({ data: page.rows.map(toDrillDto), next_cursor: nextCursor(page) }, 200);
};
