import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { backupDrills } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { DrillIdParam, DrillSchema, toDrillDto } from "./schemas.ts";

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
