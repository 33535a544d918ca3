import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { CHECK_STATUSES, type ServerCheckRow } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal, requireScope, securityFor } from "../../middleware/auth.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
import { listChecks } from "../../services/servers/checks.ts";
import {
  LATENCY_BUCKETS,
  latencyBucket,
  PROBE_ERRORS,
  probeErrorCode,
} from "../../services/servers/probe-outcome.ts";
import { QueuedSchema } from "../jobs/get.ts";
import { loadServer, scopeOf } from "./access.ts";
import { ServerIdParam } from "./schemas.ts";

export const ServerCheckSchema = z
  .object({
    id: z.string(),
    status: z.enum(CHECK_STATUSES),
    http_status: z.number().int().nullable(),
    latency_bucket: z.enum(LATENCY_BUCKETS).nullable().openapi({
      description: "How long the probe took, coarsely; null when there was no HTTP answer",
    }),
    latency_ms: z.number().int().nullable().openapi({
      description: "Exact latency: administrators only, null for everyone else",
    }),
    error: z.enum(PROBE_ERRORS).nullable().openapi({
      description:
        "Why the check is down: `http_error` (see http_status), `unreachable` (no HTTP answer: DNS, connection, TLS or timeout), `circuit_open` (skipped after repeated failures), `not_allowed` (the URL is refused by the outbound URL policy; nothing was sent)",
    }),
    checked_at: z.string(),
    job_id: z.string().nullable(),
  })
  .openapi("ServerCheck");

export const ServerCheckListSchema = listOf(ServerCheckSchema, "ServerCheckList");

/** A check as the caller may see it: exact latency for administrators only. */
const toCheckDto = (r: ServerCheckRow, admin: boolean): z.infer<typeof ServerCheckSchema> => ({
  id: r.id,
  status: r.status,
  http_status: r.httpStatus,
  latency_bucket: latencyBucket(r.latencyMs),
  latency_ms: admin ? r.latencyMs : null,
  error: probeErrorCode(r.error),
  checked_at: r.checkedAt,
  job_id: r.jobId,
});

export const probeServerRoute = createRoute({
  method: "post",
  path: "/servers/{id}/checks",
  tags: ["Servers"],
  operationId: "probeServer",
  summary:
    "Probe the server's health_check_url now (queued; 202 with the job). At most 10 a minute per owner (429).",
  description:
    "Queues an immediate probe of the server's health-check URL and answers 202 with the job to poll (Location). At most 10 probes a minute per owner (429). A server without a health-check URL is a 409. Operators and admins.",
  security: securityFor("servers:write"),
  middleware: [
    requireScope("servers:write"),
    rateLimit({ policy: "probes", identity: (c) => `owner:${requirePrincipal(c).userId}` }),
  ] as const,
  request: { params: ServerIdParam },
  responses: {
    202: jsonContent(QueuedSchema, "Queued (Location: the job)"),
    ...apiErrors("not_found", "conflict"),
  },
});

export const probeServerHandler: RouteHandler<typeof probeServerRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const server = await loadServer(c, c.req.valid("param").id);
  if (!server.healthCheckUrl)
    throw new ApiError("conflict", { detail: "This server has no health_check_url to probe" });
  // The job row and the audit entry commit together; the message is sent after.
  const unit = requestWrite(c);
  const [jobId] = unit.enqueue([
    { type: "server.probe", ownerId: p.userId, payload: { server_id: server.id } },
  ]);
  unit.audit({
    action: "server.probe_requested",
    resourceType: "server",
    resourceId: server.id,
    summary: { job_id: jobId },
  });
  await unit.commit();
  c.header("Location", `/api/v2/jobs/${jobId}`);
  return c.json({ job_id: jobId!, status: "queued" as const }, 202);
};

export const listChecksRoute = createRoute({
  method: "get",
  path: "/servers/{id}/checks",
  tags: ["Servers"],
  operationId: "listServerChecks",
  summary: "Health-check history, newest first",
  description:
    "The server's health-check results, newest first, a page at a time: the outcome of each and how long it took (coarsely; exactly, for admins).",
  security: securityFor("servers:read"),
  middleware: [requireScope("servers:read")] as const,
  request: { params: ServerIdParam, query: PaginationQuery },
  responses: {
    200: jsonContent(ServerCheckListSchema, "A page of checks"),
    ...apiErrors("not_found"),
  },
});

export const listChecksHandler: RouteHandler<typeof listChecksRoute, AppEnv> = async (c) => {
  const server = await loadServer(c, c.req.valid("param").id);
  const admin = scopeOf(c).ownerId === null;
  const { limit, cursor } = c.req.valid("query");
  const after = cursor ? (decodeCursor(cursor, "-checked_at", 2).k as [string, string]) : undefined;
  const rows = await listChecks(c.get("db"), server.id, { limit, after });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  c.header("Cache-Control", "private, no-cache");
  return c.json(
    {
      data: page.map((r) => toCheckDto(r, admin)),
      next_cursor:
        rows.length > limit && last
          ? encodeCursor({ s: "-checked_at", k: [last.checkedAt, last.id] })
          : null,
    },
    200,
  );
};
