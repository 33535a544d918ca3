import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { findJob } from "../../db/queries/jobs.ts";
import { JOB_STATUSES, type JobRow } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireAuth, requirePrincipal, securityFor } from "../../middleware/auth.ts";
import { hasAdminPower } from "../../services/auth/principal.ts";

export const JobSchema = z
  .object({
    id: z.string(),
    type: z.string().openapi({ example: "server.probe" }),
    status: z.enum(JOB_STATUSES),
    attempts: z.number().int(),
    result: z.record(z.string(), z.unknown()).nullable(),
    error: z.string().nullable().openapi({
      description:
        "Set when an attempt failed: the recorded error for administrators, a generic sentence for everyone else",
    }),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi("Job");

/**
 * Only administrators read the recorded error: it is the raw text of whatever
 * went wrong (network errors naming addresses, driver messages), fine for an
 * operator's diagnosis, not for the job's owner.
 */
export const FAILED_ATTEMPT = "The last attempt failed; administrators can see the recorded error";

export const toJobDto = (j: JobRow, admin: boolean) => ({
  id: j.id,
  type: j.type,
  status: j.status,
  attempts: j.attempts,
  result: j.result,
  error: j.lastError === null ? null : admin ? j.lastError : FAILED_ATTEMPT,
  created_at: j.createdAt,
  updated_at: j.updatedAt,
  started_at: j.startedAt,
  finished_at: j.finishedAt,
});

/** 202 body for anything queued: poll the job for its outcome. */
export const QueuedSchema = z
  .object({ job_id: z.string(), status: z.literal("queued") })
  .openapi("Queued", { description: "Poll the job at the Location header" });

export const getJobRoute = createRoute({
  method: "get",
  path: "/jobs/{id}",
  tags: ["Jobs"],
  operationId: "getJob",
  summary: "A background job's status, attempts, result and error (its owner or an admin)",
  description:
    "A background job (such as a server probe): its status, attempts, result, and the last error. Only its owner and admins can read it; the text of the recorded error is shown to admins only.",
  security: securityFor(),
  middleware: [requireAuth()] as const,
  request: {
    params: z.object({
      id: z
        .string()
        .min(1)
        .max(200)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: jsonContent(JobSchema, "The job"),
    ...apiErrors("not_found"),
  },
});

export const getJobHandler: RouteHandler<typeof getJobRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const job = await findJob(c.get("db"), c.req.valid("param").id);
  const isAdmin = hasAdminPower(p);
  if (!job || (!isAdmin && job.ownerId !== p.userId))
    throw new ApiError("not_found", { detail: "No job with that id" });
  c.header("Cache-Control", "private, no-store");
  return c.json(toJobDto(job, isAdmin), 200);
};
