import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { verifyAudit } from "../../services/audit/audit-log.ts";
import { VerifySchema } from "./schemas.ts";

export const verifyAuditRoute = createRoute({
  method: "get",
  path: "/audit-logs/verify",
  tags: ["Audit"],
  operationId: "verifyAuditLogs",
  summary: "Walk the hash chain and report the first broken link (admin)",
  description:
    "Walks the audit log's hash chain from the start and reports whether it is intact, or the first entry whose link is broken: evidence that entries were altered or removed outside the API. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  responses: {
    200: jsonContent(VerifySchema, "The verification report (valid: false when tampered)"),
    ...apiErrors(),
  },
});

export const verifyAuditHandler: RouteHandler<typeof verifyAuditRoute, AppEnv> = async (c) => {
  c.header("Cache-Control", "private, no-store");
  return c.json(await verifyAudit(c.get("db")), 200);
};
