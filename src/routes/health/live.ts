import type { RouteHandler } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { jsonContent, problemResponses } from "../../lib/openapi.ts";

export const LiveSchema = z.object({ status: z.literal("ok") }).openapi("Liveness");

export const liveRoute = createRoute({
  method: "get",
  path: "/health/live",
  tags: ["Operations"],
  operationId: "getLiveness",
  summary: "Liveness: the Worker runs (no I/O)",
  description:
    "Answers 200 while the Worker runs. It reads no configuration and touches no binding, so a missing secret or a failing database never makes the platform restart a Worker that serves. Never cached.",
  responses: {
    200: jsonContent(LiveSchema, "The Worker is running"),
    // Answered ahead of every middleware that could refuse a request (src/app.ts).
    ...problemResponses(["internal"]),
  },
});

export const liveHandler: RouteHandler<typeof liveRoute, AppEnv> = (c) => {
  c.header("Cache-Control", "no-store");
  return c.json({ status: "ok" as const }, 200);
};
