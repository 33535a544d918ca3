import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AuditArchiveRow } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { listArchives } from "../../services/audit/archive.ts";

export const AuditArchiveSchema = z
  .object({
    id: z.string(),
    key: z.string().openapi({ example: "audit/2026/08/1-5120.ndjson.gz" }),
    from_seq: z.number().int(),
    to_seq: z.number().int(),
    from_created_at: z.string(),
    to_created_at: z.string(),
    rows: z.number().int(),
    prev_hash: z.string().openapi({ description: "prev_hash of the first archived entry" }),
    first_hash: z.string(),
    last_hash: z
      .string()
      .openapi({ description: "Hash of the last archived entry: the next segment links to it" }),
    size_bytes: z.number().int(),
    sha256: z.string().openapi({ description: "SHA-256 of the object as stored" }),
    key_id: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("AuditArchive");

export const toArchiveDto = (a: AuditArchiveRow) => ({
  id: a.id,
  key: a.key,
  from_seq: a.fromSeq,
  to_seq: a.toSeq,
  from_created_at: a.fromCreatedAt,
  to_created_at: a.toCreatedAt,
  rows: a.rows,
  prev_hash: a.prevHash,
  first_hash: a.firstHash,
  last_hash: a.lastHash,
  size_bytes: a.sizeBytes,
  sha256: a.sha256,
  key_id: a.keyId,
  created_at: a.createdAt,
});

export const listArchivesRoute = createRoute({
  method: "get",
  path: "/audit-logs/archives",
  tags: ["Audit"],
  operationId: "listAuditArchives",
  summary: "Audit-log segments archived to R2, newest first (admin)",
  description:
    "Audit entries older than 90 days move weekly to the BACKUPS bucket as gzip NDJSON, one object per segment of a month, after the object was read back and its hash chain re-checked. Each archive records the first and last hash of its segment; the newest one's last hash anchors the chain of the entries still in the database. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { query: PaginationQuery },
  responses: {
    200: jsonContent(listOf(AuditArchiveSchema, "AuditArchiveList"), "A page of archives"),
    ...apiErrors(),
  },
});

const SORT = "-to_seq";

export const listArchivesHandler: RouteHandler<typeof listArchivesRoute, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const before = cursor ? Number(decodeCursor(cursor, SORT, 1).k[0]) : undefined;
  const page = await listArchives(c.get("db"), limit, before);
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      data: page.rows.map(toArchiveDto),
      next_cursor: page.hasMore && last ? encodeCursor({ s: SORT, k: [last.toSeq] }) : null,
    },
    200,
  );
};
