import type { RouteHandler } from "@hono/zod-openapi";
import { createRoute, z } from "@hono/zod-openapi";
import { ping } from "../../db/client.ts";
import type { AppEnv } from "../../env.ts";
import { timedCheck } from "../../lib/deadline.ts";
import { jsonContent, opsErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { liveHub } from "../../live/publish.ts";
import { metricsStub } from "../../observability/flush.ts";
import { limiterStub } from "../../rate-limit/limiter.ts";
import { sealingLag } from "../../services/audit/seal.ts";
import { backupHealth } from "../../services/backups/health.ts";

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

const BackupsCheckSchema = z.object({
  status: z.enum(["ok", "degraded", "error"]),
  latency_ms: z.number(),
  newest_verified_age_seconds: z
    .number()
    .nullable()
    .optional()
    .openapi({ description: "Age of the newest verified backup (null: none yet)" }),
  last_drill: z.enum(["passed", "failed"]).nullable().optional(),
  reasons: z.array(z.string()).optional(),
  error: z.string().optional(),
});

export const ReadySchema = z
  .object({
    status: z.enum(["ok", "degraded"]).openapi({
      description:
        "`degraded`: serving, but the audit log's sealing lags (checks.audit_sealing) or backups are stale or the last restore drill failed (checks.backups)",
    }),
    checks: z.object({
      d1: CheckSchema,
      kv: CheckSchema,
      r2_files: CheckSchema,
      r2_backups: CheckSchema,
      rate_limiter: CheckSchema.openapi({ description: "The RateLimiter Durable Object" }),
      metrics: CheckSchema.openapi({ description: "The METRICS Durable Object" }),
      live: CheckSchema.openapi({
        description: "The LiveHub Durable Object (the admin dashboard's live channel)",
      }),
      queue: CheckSchema.openapi({
        description: "The JOBS queue producer (its backlog is read; nothing is sent)",
      }),
      audit_sealing: AuditSealingSchema,
      backups: BackupsCheckSchema.openapi({
        description:
          "`degraded` when the newest verified backup is older than 26 hours or the last restore drill failed",
      }),
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
    "Checks D1, KV, both R2 buckets, the RateLimiter, METRICS and LiveHub Durable Objects, the job queue and audit sealing, each within its own 1-second budget, and reports each one's latency. A 503 names the dependency that failed: take the instance out of rotation rather than restart it. Audit entries left unsealed for over a minute, no verified backup in the last 26 hours, or a failed last restore drill make the answer degraded, still 200.",
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

async function backupsCheck(c: Parameters<typeof readyHandler>[0]) {
  let health: Awaited<ReturnType<typeof backupHealth>> | undefined;
  const check = await probe(async () => {
    health = await backupHealth(c.get("db"));
  });
  if (check.status !== "ok" || !health) return check;
  return {
    status: health.reasons.length ? ("degraded" as const) : ("ok" as const),
    latency_ms: check.latency_ms,
    newest_verified_age_seconds: health.newestVerifiedAgeSeconds,
    last_drill: health.lastDrill,
    ...(health.reasons.length ? { reasons: health.reasons } : {}),
  };
}

export const readyHandler: RouteHandler<typeof readyRoute, AppEnv> = async (c) => {
  const [d1, kv, r2_files, r2_backups, rate_limiter, metrics, live, queue, audit_sealing, backups] =
    await Promise.all([
      probe(() => ping(c.get("db"))),
      probe(() => c.env.CACHE.get("health:probe")),
      // A HEAD of a key that need not exist: a round trip to the bucket, nothing read.
      probe(() => c.env.FILES.head("health/probe")),
      probe(() => c.env.BACKUPS.head("health/probe")),
      // A read-only RPC (peek changes no window) to an object of its own.
      probe(() => limiterStub(c.env, "health:probe").peek(1, 1_000)),
      probe(() => metricsStub(c.env.METRICS).ping()),
      // Read-only: how many dashboards are connected.
      probe(() => liveHub(c.env).ping()),
      // The producer's backlog metrics: a round trip to the queue that enqueues nothing.
      probe(() => c.env.JOBS.metrics()),
      auditSealing(c),
      backupsCheck(c),
    ]);
  const checks = {
    d1,
    kv,
    r2_files,
    r2_backups,
    rate_limiter,
    metrics,
    live,
    queue,
    audit_sealing,
    backups,
  };
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
      status:
        audit_sealing.status === "degraded" || backups.status === "degraded"
          ? ("degraded" as const)
          : ("ok" as const),
      checks,
    },
    200,
  );
};
