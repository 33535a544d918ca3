import type { RouteHandler } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { AppEnv } from "../../env.ts";
import { timedCheck } from "../../lib/deadline.ts";
import { commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";

const CheckSchema = z.object({
  status: z.enum(["ok", "error"]),
  latency_ms: z.number(),
  error: z.string().optional(),
});

export const ReadySchema = z
  .object({
    status: z.literal("ok"),
    checks: z.record(z.string(), CheckSchema),
  })
  .openapi("Readiness");

export const readyRoute = createRoute({
  method: "get",
  path: "/health/ready",
  tags: ["Operations"],
  operationId: "getReadiness",
  summary: "Readiness: every dependency answers, with its latency",
  responses: {
    200: jsonContent(ReadySchema, "Every dependency is reachable"),
    500: commonErrors[500],
    503: errorResponse("service_unavailable"),
    504: commonErrors[504],
  },
});

/** Per-dependency budget: a hung binding must not hold the probe until the request timeout. */
export const CHECK_TIMEOUT_MS = 2_000;

type Check = z.infer<typeof CheckSchema>;

async function probe(fn: () => Promise<unknown>): Promise<Check> {
  const r = await timedCheck(fn, CHECK_TIMEOUT_MS);
  return r.ok
    ? { status: "ok", latency_ms: r.ms }
    : { status: "error", latency_ms: r.ms, error: r.error };
}

export const readyHandler: RouteHandler<typeof readyRoute, AppEnv> = async (c) => {
  const [d1, kv] = await Promise.all([
    probe(() => c.get("db").run(sql`select 1`)),
    probe(() => c.env.CACHE.get("health:probe")),
  ]);
  const checks = { d1, kv };
  c.header("Cache-Control", "no-store");
  const failed = Object.entries(checks).filter(([, check]) => check.status !== "ok");
  if (failed.length) {
    for (const [name, check] of failed)
      c.get("logger").error("readiness check failed", { check: name, ...check });
    throw new ApiError("service_unavailable", {
      detail: `Not ready: ${failed.map(([name]) => name).join(", ")} failed`,
      extensions: { checks },
      headers: { "Retry-After": "5", "Cache-Control": "no-store" },
    });
  }
  return c.json({ status: "ok" as const, checks }, 200);
};
