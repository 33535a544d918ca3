import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { FILE_LINK_TTL_SECONDS, signLink } from "../../services/submissions/links.ts";
import { listSubmissions } from "../../services/submissions/store.ts";
import { fileDownloadPath } from "./download-file.ts";
import { ListSubmissionsQuery, SubmissionListSchema, toStoredFile } from "./schemas.ts";

export const listSubmissionsRoute = createRoute({
  method: "get",
  path: "/submissions",
  tags: ["Submissions"],
  operationId: "listSubmissions",
  summary:
    "Submissions, newest first (admin), with since/until and full-text search (`q`, SQLite FTS5 syntax)",
  description:
    'Lists submissions newest first, for admins only (operators and viewers get a 403): cursor pagination, since (inclusive) and until (exclusive), and q, an SQLite FTS5 query over name, e-mail and message (words, "phrases", prefix*, AND/OR/NOT). Matches carry a snippet as HTML with the submitter\'s text escaped and the matches in <mark>; a query FTS5 cannot parse is a 400. Files come with a signed download link valid for 5 minutes.',
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { query: ListSubmissionsQuery },
  responses: {
    200: jsonContent(SubmissionListSchema, "A page of submissions"),
    ...apiErrors(),
  },
});

const SORT = "-id";

export const listSubmissionsHandler: RouteHandler<typeof listSubmissionsRoute, AppEnv> = async (
  c,
) => {
  const { limit, cursor, since, until, q } = c.req.valid("query");
  const beforeId = cursor ? String(decodeCursor(cursor, SORT, 1).k[0]) : undefined;
  const filters = {
    since: since ? new Date(since).toISOString() : undefined,
    until: until ? new Date(until).toISOString() : undefined,
    q,
  };
  const page = await listSubmissions(c.get("db"), filters, { limit, beforeId });
  if (!page.ok)
    throw new ApiError("bad_request", {
      detail: "The search query is not valid FTS5 syntax (quote words with special characters)",
      errors: [{ path: "query.q", message: "malformed full-text query" }],
    });
  const secret = c.get("config").JWT_SECRET;
  const origin = new URL(c.req.url).origin;
  const data = await Promise.all(
    page.value.rows.map(async (r) => {
      const file = toStoredFile(r);
      const link = file
        ? await signLink(secret, origin, fileDownloadPath(r.id), FILE_LINK_TTL_SECONDS)
        : null;
      return {
        id: r.id,
        name: r.name,
        email: r.email,
        message: r.message,
        ip: r.ip,
        created_at: r.createdAt,
        file: file && link ? { ...file, download_url: link.url, expires_at: link.expiresAt } : null,
        snippet: r.snippet,
      };
    }),
  );
  const last = page.value.rows.at(-1);
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      data,
      next_cursor: page.value.hasMore && last ? encodeCursor({ s: SORT, k: [last.id] }) : null,
    },
    200,
  );
};
