import type { RouteHandler } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { commonErrors, jsonContent } from "../../lib/openapi.ts";

export const LiveSchema = z.object({ status: z.literal("ok") }).openapi("Liveness");

export const liveRoute = createRoute({
  method: "get",
  path: "/health/live",
  tags: ["Operations"],
  operationId: "getLiveness",
  summary: "Liveness: the Worker runs (no I/O)",
  responses: {
    200: jsonContent(LiveSchema, "The Worker is running"),
    500: commonErrors[500],
  },
});

export const liveHandler: RouteHandler<typeof liveRoute, AppEnv> = (c) => {
  c.header("Cache-Control", "no-store");
  return c.json({ status: "ok" as const }, 200);
};
