import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal, requireRole, securityFor } from "../../middleware/auth.ts";
import { idempotency } from "../../middleware/idempotency.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
import { SUBMISSION_EXPORT_JOB } from "../../queues/jobs/submission-export.ts";
import { checkQuery } from "../../services/submissions/store.ts";
import { QueuedSchema } from "../jobs/get.ts";
import { CreateExportBody } from "./schemas.ts";

/** What one export costs in the caller's rate limit, in requests. */
export const EXPORT_COST = 10;

export const createExportRoute = createRoute({
  method: "post",
  path: "/submissions/exports",
  tags: ["Submissions"],
  operationId: "createSubmissionExport",
  summary:
    "Export submissions as CSV (admin; a job). Its result has a signed download link valid for 15 minutes. Costs 10 requests of the rate limit.",
  description:
    "Queues a CSV export of the submissions matching q, since and until, for admins. `csv` is RFC 4180; `xlsx_csv` adds a UTF-8 BOM and prefixes cells that start with = + - @ tab or CR with ' so spreadsheets do not run them. Poll the job at Location: its result holds an absolute, signed download link valid for 15 minutes. An export counts as 10 requests against the caller's rate limit.",
  security: securityFor("admin"),
  middleware: [
    requireRole("admin"),
    // The global limiter has charged this request one unit already.
    rateLimit({ cost: EXPORT_COST - 1 }),
    idempotency(),
  ] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateExportBody } } },
  },
  responses: {
    202: jsonContent(QueuedSchema, "Queued (Location: the job)"),
    ...apiErrors(),
  },
});

export const createExportHandler: RouteHandler<typeof createExportRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const body = c.req.valid("json");
  // A malformed query fails here, not minutes later in the job.
  if (body.q && !(await checkQuery(c.get("db"), body.q)).ok)
    throw new ApiError("bad_request", {
      detail: "The search query is not valid FTS5 syntax",
      errors: [{ path: "q", message: "malformed full-text query" }],
    });
  const unit = requestWrite(c);
  const [jobId] = unit.enqueue([
    {
      type: SUBMISSION_EXPORT_JOB,
      ownerId: p.userId,
      payload: {
        format: body.format,
        ...(body.q ? { q: body.q } : {}),
        ...(body.since ? { since: new Date(body.since).toISOString() } : {}),
        ...(body.until ? { until: new Date(body.until).toISOString() } : {}),
        origin: new URL(c.req.url).origin,
      },
    },
  ]);
  unit.audit({
    action: "submission.export_requested",
    resourceType: "job",
    resourceId: jobId!,
    summary: { format: body.format, filtered: Boolean(body.q || body.since || body.until) },
  });
  await unit.commit();
  c.header("Location", `/api/v2/jobs/${jobId}`);
  return c.json({ job_id: jobId!, status: "queued" as const }, 202);
};
