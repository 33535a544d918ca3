import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { publicApiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { exportDownloadPath } from "../../queues/jobs/submission-export.ts";
import { exportKey } from "../../services/submissions/export.ts";
import { requireSignedLink, untrustedFileHeaders } from "./download-file.ts";
import { ExportIdParam, SignedLinkQuery } from "./schemas.ts";

export const downloadExportRoute = createRoute({
  method: "get",
  path: "/submissions/exports/{job_id}/download",
  tags: ["Submissions"],
  operationId: "downloadSubmissionExport",
  summary:
    "Download an export through the signed link in its job's result (no other credentials; expires after 15 minutes)",
  description:
    "Downloads a finished export through the link in its job's result. The HMAC signature is the only credential; a tampered or expired link (15 minutes) is a 403, an export that no longer exists (kept one day) a 404. Always an attachment.",
  request: { params: ExportIdParam, query: SignedLinkQuery },
  responses: {
    200: {
      description: "The CSV file (an attachment)",
      content: { "text/csv": { schema: z.string() } },
    },
    ...publicApiErrors("forbidden", "not_found"),
  },
});

export const downloadExportHandler: RouteHandler<typeof downloadExportRoute, AppEnv> = async (
  c,
) => {
  const { job_id } = c.req.valid("param");
  await requireSignedLink(c, exportDownloadPath(job_id), c.req.valid("query"));
  const object = await c.env.FILES.get(exportKey(job_id));
  if (!object) throw new ApiError("not_found", { detail: "This export no longer exists" });
  const day = object.uploaded.toISOString().slice(0, 10);
  // A file, not JSON: a plain Response, which the handler type accepts as it is.
  return new Response(object.body, {
    status: 200,
    headers: untrustedFileHeaders(`submissions-${day}.csv`, "text/csv; charset=utf-8", object.size),
  });
};
