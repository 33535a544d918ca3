import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { auditLogs } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { latestArchive } from "../../services/audit/archive.ts";
import { verifyAudit } from "../../services/audit/audit-log.ts";
import { VerifySchema } from "./schemas.ts";

export const verifyAuditRoute = createRoute({
  method: "get",
  path: "/audit-logs/verify",
  tags: ["Audit"],
  operationId: "verifyAuditLogs",
  summary: "Walk the hash chain and report the first broken link (admin)",
  description:
    "Walks the audit log's hash chain from the start and reports whether it is intact, or the first entry whose link is broken: evidence that entries were altered or removed outside the API. Once entries have been archived to R2, the walk starts at the newest archive's last hash (`anchor`): the first entry left in the database must link to it and follow it in sequence. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  responses: {
    200: jsonContent(VerifySchema, "The verification report (valid: false when tampered)"),
    ...apiErrors(),
  },
});

export const verifyAuditHandler: RouteHandler<typeof verifyAuditRoute, AppEnv> = async (c) => {
  c.header("Cache-Control", "private, no-store");
  const db = c.get("db");
  const archive = await latestArchive(db);
  if (!archive) return c.json(await verifyAudit(db), 200);
  const anchor = { archive_id: archive.id, to_seq: archive.toSeq, last_hash: archive.lastHash };
  const report = await verifyAudit(db, archive.lastHash);
  // The archive's segment ends where the live chain starts: anything else is a gap.
  if (report.valid && report.first_seq !== null && report.first_seq !== archive.toSeq + 1) {
    const first = await db
      .select({ id: auditLogs.id })
      .from(auditLogs)
      .where(eq(auditLogs.seq, report.first_seq))
      .get();
    return c.json(
      {
        ...report,
        valid: false,
        broken: { seq: report.first_seq, id: first?.id ?? "", reason: "gap" as const },
        anchor,
      },
      200,
    );
  }
  return c.json({ ...report, anchor }, 200);
};
