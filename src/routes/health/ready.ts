import type { RouteHandler } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { ping } from "../../db/client.ts";
import type { AppEnv } from "../../env.ts";
import { timedCheck } from "../../lib/deadline.ts";
import { jsonContent, opsErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { metricsStub } from "../../observability/flush.ts";
import { limiterStub } from "../../rate-limit/limiter.ts";
import { sealingLag } from "../../services/audit/seal.ts";

const CheckSchema = z.object({
  status: z.enum(["ok", "error"]),
  latency_ms: z.number(),
  error: z.string().optional(),
});

const AuditSealingSchema = z.object({
  status: z.enum(["ok", "degraded", "error"]),
  latency_ms: z.number(),
  unsealed: z.number().int().optional(),
  oldest_unsealed_seconds: z.number().optional(),
  error: z.string().optional(),
});

export const ReadySchema = z
  .object({
    status: z.enum(["ok", "degraded"]).openapi({
      description:
        "`degraded`: serving, but the audit log's sealing lags (see checks.audit_sealing)",
    }),
    checks: z.object({
      d1: CheckSchema,
      kv: CheckSchema,
      r2_files: CheckSchema,
      r2_backups: CheckSchema,
      rate_limiter: CheckSchema.openapi({ description: "The RateLimiter Durable Object" }),
      metrics: CheckSchema.openapi({ description: "The METRICS Durable Object" }),
      queue: CheckSchema.openapi({
        description: "The JOBS queue producer (its backlog is read; nothing is sent)",
      }),
      audit_sealing: AuditSealingSchema,
    }),
  })
  .openapi("Readiness");

export const readyRoute = createRoute({
  method: "get",
  path: "/health/ready",
  tags: ["Operations"],
  operationId: "getReadiness",
  summary: "Readiness: every dependency answers, with its latency",
  description:
    "Checks D1, KV, both R2 buckets, the RateLimiter and METRICS Durable Objects, the job queue and audit sealing, each within its own 1-second budget, and reports each one's latency. A 503 names the dependency that failed: take the instance out of rotation rather than restart it. Audit entries left unsealed for over a minute make the answer degraded, still 200.",
  responses: {
    200: jsonContent(ReadySchema, "Every dependency is reachable"),
    ...opsErrors("service_unavailable"),
  },
});

/** Per-dependency budget: a hung binding must not hold the probe until the request timeout. */
export const CHECK_TIMEOUT_MS = 1_000;

type Check = z.infer<typeof CheckSchema>;

async function probe(fn: () => Promise<unknown>): Promise<Check> {
  const r = await timedCheck(fn, CHECK_TIMEOUT_MS);
  return r.ok
    ? { status: "ok", latency_ms: r.ms }
    : { status: "error", latency_ms: r.ms, error: r.error };
}

/** Past this, unsealed audit entries make the service `degraded` (it still serves). */
export const SEALING_LAG_LIMIT_SECONDS = 60;

async function auditSealing(c: Parameters<typeof readyHandler>[0]) {
  let lag: Awaited<ReturnType<typeof sealingLag>> | undefined;
  const check = await probe(async () => {
    lag = await sealingLag(c.get("db"));
  });
  if (check.status !== "ok" || !lag) return check;
  return {
    status:
      lag.oldestUnsealedSeconds > SEALING_LAG_LIMIT_SECONDS
        ? ("degraded" as const)
        : ("ok" as const),
    latency_ms: check.latency_ms,
    unsealed: lag.unsealed,
    oldest_unsealed_seconds: Math.round(lag.oldestUnsealedSeconds * 10) / 10,
  };
}

export const readyHandler: RouteHandler<typeof readyRoute, AppEnv> = async (c) => {
  const [d1, kv, r2_files, r2_backups, rate_limiter, metrics, queue, audit_sealing] =
    await Promise.all([
      probe(() => ping(c.get("db"))),
      probe(() => c.env.CACHE.get("health:probe")),
      // A HEAD of a key that need not exist: a round trip to the bucket, nothing read.
      probe(() => c.env.FILES.head("health/probe")),
      probe(() => c.env.BACKUPS.head("health/probe")),
      // A read-only RPC (peek changes no window) to an object of its own.
      probe(() => limiterStub(c.env, "health:probe").peek(1, 1_000)),
      probe(() => metricsStub(c.env.METRICS).ping()),
      // The producer's backlog metrics: a round trip to the queue that enqueues nothing.
      probe(() => c.env.JOBS.metrics()),
      auditSealing(c),
    ]);
  const checks = { d1, kv, r2_files, r2_backups, rate_limiter, metrics, queue, audit_sealing };
  c.header("Cache-Control", "no-store");
  const failed = Object.entries(checks).filter(([, check]) => check.status === "error");
  if (failed.length) {
    for (const [name, check] of failed)
      c.get("logger").error("readiness check failed", { check: name, ...check });
    throw new ApiError("service_unavailable", {
      detail: `Not ready: ${failed.map(([name]) => name).join(", ")} failed`,
      extensions: { checks },
      headers: { "Retry-After": "5", "Cache-Control": "no-store" },
    });
  }
  return c.json(
    {
      status: audit_sealing.status === "degraded" ? ("degraded" as const) : ("ok" as const),
      checks,
    },
    200,
  );
};
