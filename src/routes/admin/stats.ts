import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { cachedStats } from "../../services/stats/stats.ts";

const count = z.number().int().min(0);
const counts = (keys: readonly string[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, count])) as Record<string, typeof count>);

export const AdminStatsSchema = z
  .object({
    generated_at: z.iso.datetime(),
    users: z.object({ total: count, by_role: counts(["admin", "operator", "viewer"]) }),
    servers: z.object({
      total: count,
      by_status: counts(["up", "degraded", "down", "unknown"]),
      by_environment: counts(["production", "staging", "development"]),
    }),
    submissions_per_day: z
      .array(z.object({ date: z.iso.date(), count }))
      .openapi({ description: "The last 30 days (UTC), oldest first, days without any at 0" }),
    requests_per_minute: z
      .array(
        z.object({
          minute: z.iso.datetime(),
          requests: count,
          errors_4xx: count,
          errors_5xx: count,
        }),
      )
      .openapi({
        description:
          "The last 60 minutes, oldest first, zero-filled; the last entry is the current (partial) minute",
      }),
    cache: z.object({
      hits: count,
      misses: count,
      hit_ratio: z
        .number()
        .min(0)
        .max(1)
        .nullable()
        .openapi({ description: "null before any lookup" }),
    }),
    rate_limited: z.object({
      total: count.openapi({ description: "429 responses since metrics began" }),
      last_hour: count,
    }),
    jobs: z.object({
      queued: count,
      failed: count.openapi({ description: "Jobs failed (awaiting retry) or dead" }),
      recent_failures: z
        .array(
          z.object({
            id: z.string(),
            type: z.string(),
            error: z.string(),
            failed_at: z.iso.datetime(),
          }),
        )
        .max(10),
    }),
    webhooks: z.object({
      deliveries: count.openapi({ description: "Delivery attempts since metrics began" }),
      succeeded: count,
      success_rate: z.number().min(0).max(1).nullable(),
      failing_endpoints: z
        .array(
          z.object({
            id: z.string(),
            url: z.string(),
            consecutive_failures: count,
            disabled: z.boolean(),
          }),
        )
        .max(10),
    }),
  })
  .openapi("AdminStats");

export const statsRoute = createRoute({
  method: "get",
  path: "/admin/stats",
  tags: ["Admin"],
  operationId: "getAdminStats",
  summary: "Operational totals, trends and health figures (admin)",
  description:
    "Users by role, servers by status and environment, submissions per day (30 days), requests per minute (60 minutes), cache hit ratio, rate-limited requests, the job queue and its recent failures, and webhook delivery figures. Traffic figures are the whole deployment's, a few seconds behind; the answer is computed at most every 10 seconds. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  responses: { 200: jsonContent(AdminStatsSchema, "The figures"), ...apiErrors() },
});

export const statsHandler: RouteHandler<typeof statsRoute, AppEnv> = async (c) => {
  const stats = await cachedStats(c.get("db"), c.env.METRICS);
  c.header("Cache-Control", "private, no-store");
  return c.json(stats, 200);
};
