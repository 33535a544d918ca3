import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ALERT_METRICS, ALERT_STATUSES } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { listAlerts, toAlertDto } from "../../services/alerts/alerts.ts";

export const AlertSchema = z
  .object({
    id: z.string(),
    metric: z.enum(ALERT_METRICS),
    status: z.enum(ALERT_STATUSES),
    value: z.number().openapi({ description: "The per-minute count that raised it" }),
    mean: z
      .number()
      .openapi({ description: "The usual per-minute count (EWMA) it was compared with" }),
    z_score: z.number(),
    threshold: z.number(),
    raised_at: z.iso.datetime(),
    cleared_at: z.iso.datetime().nullable(),
    message: z.string(),
  })
  .openapi("Alert");

const AlertListSchema = z
  .object({ data: z.array(AlertSchema), next_cursor: z.string().nullable() })
  .openapi("AlertList");

const ListAlertsQuery = z.object({
  status: z.enum(ALERT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().optional(),
});

export const listAlertsRoute = createRoute({
  method: "get",
  path: "/admin/alerts",
  tags: ["Admin"],
  operationId: "listAlerts",
  summary: "Anomaly alerts, newest first (admin)",
  description:
    "Alerts raised when the per-minute request, 4xx or 5xx count is far above its usual level (an EWMA z-score over the threshold, with a minimum volume). An alert stays `open` until five calm minutes in a row clear it. Filter with `status`; page with the opaque `cursor`. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { query: ListAlertsQuery },
  responses: { 200: jsonContent(AlertListSchema, "A page of alerts"), ...apiErrors() },
});

export const listAlertsHandler: RouteHandler<typeof listAlertsRoute, AppEnv> = async (c) => {
  const { status, limit, cursor } = c.req.valid("query");
  const sort = `alerts:${status ?? "all"}`;
  const before = cursor ? String(decodeCursor(cursor, sort, 1).k[0]) : undefined;
  const page = await listAlerts(c.get("db"), { status, limit, before });
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      data: page.rows.map(toAlertDto),
      next_cursor: page.hasMore && last ? encodeCursor({ s: sort, k: [last.id] }) : null,
    },
    200,
  );
};
