import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { publicApiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { verifyLink } from "../../services/submissions/links.ts";
import { ALLOWED_TYPES } from "../../services/submissions/sniff.ts";
import { getSubmission } from "../../services/submissions/store.ts";
import { SignedLinkQuery, SubmissionIdParam } from "./schemas.ts";

export const fileDownloadPath = (id: string) => `/api/v2/submissions/${id}/file`;

export const downloadFileRoute = createRoute({
  method: "get",
  path: "/submissions/{id}/file",
  tags: ["Submissions"],
  operationId: "downloadSubmissionFile",
  summary:
    "A submission's file, through the signed link in the admin list (no other credentials; expires after 5 minutes). Always an attachment.",
  description:
    "Downloads a submission's file through the signed link the admin list gives (valid 5 minutes; a tampered, foreign or expired link is a 403). Always Content-Disposition: attachment, X-Content-Type-Options: nosniff and a sandboxing CSP, with the type judged from the content, so the file never renders on the API's origin.",
  request: { params: SubmissionIdParam, query: SignedLinkQuery },
  responses: {
    200: {
      description: "The file (Content-Disposition: attachment; X-Content-Type-Options: nosniff)",
      // The type the content was judged to be: one of the allowed kinds.
      content: Object.fromEntries(
        Object.values(ALLOWED_TYPES).map((type) => [
          type,
          { schema: z.string().openapi({ format: "binary" }) },
        ]),
      ),
    },
    ...publicApiErrors("forbidden", "not_found"),
  },
});

/** Checks a signed link for `path`; a bad or expired signature is a 403. */
export async function requireSignedLink(
  c: Context<AppEnv>,
  path: string,
  query: { expires: number; signature: string },
) {
  const verdict = await verifyLink(
    c.get("config").JWT_SECRET,
    path,
    query.expires,
    query.signature,
  );
  if (!verdict.ok)
    throw new ApiError("forbidden", {
      detail:
        verdict.error === "expired"
          ? "This download link has expired; ask for a new one"
          : "This download link is not valid",
    });
}

/** RFC 6266 filename parameters: an ASCII fallback and the UTF-8 original. */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/**
 * Headers for a file that came from outside: always downloaded, never rendered or
 * sniffed, and sandboxed should a browser open it anyway.
 */
export const untrustedFileHeaders = (name: string, type: string, size: number) => ({
  "Content-Type": type,
  "Content-Length": String(size),
  "Content-Disposition": attachment(name),
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; sandbox",
  "Cache-Control": "private, no-store",
});

export const downloadFileHandler: RouteHandler<typeof downloadFileRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  await requireSignedLink(c, fileDownloadPath(id), c.req.valid("query"));
  const row = await getSubmission(c.get("db"), id);
  const object = row?.fileKey ? await c.env.FILES.get(row.fileKey) : null;
  if (!row || !object) throw new ApiError("not_found", { detail: "This submission has no file" });
  const type = row.fileType ?? "application/octet-stream";
  // A file, not JSON: a plain Response, which the handler type accepts as it is.
  return new Response(object.body, {
    status: 200,
    headers: untrustedFileHeaders(row.fileName ?? "file", type, object.size),
  });
};
