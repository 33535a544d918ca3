import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent, withFormatPattern } from "../../lib/openapi.ts";
import { PaginationQuery } from "../../lib/pagination.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { listAudit } from "../../services/audit/audit-log.ts";
import { AuditLogListSchema, toAuditDto } from "./schemas.ts";

const iso = withFormatPattern(z.iso.datetime({ offset: true }));

export const listAuditRoute = createRoute({
  method: "get",
  path: "/audit-logs",
  tags: ["Audit"],
  operationId: "listAuditLogs",
  summary: "Audit log, newest first (admin)",
  description:
    "Audit entries, newest first, a page at a time, filtered by actor, action, resource and time. Every write records who did what to which resource, with the state before and after. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: {
    query: PaginationQuery.extend({
      actor: z.string().max(64).optional().openapi({ description: "actor id (user or API key)" }),
      action: z.string().max(64).optional(),
      resource: z
        .string()
        .max(128)
        .regex(/^[a-z_]+(:[\w-]+)?$/, "use type or type:id")
        .optional()
        .openapi({
          description: "resource type, or type:id",
          example: "user:01936f3e-5a4b-7c2d-9e8f-0a1b2c3d4e5f",
        }),
      since: iso.optional(),
      until: iso.optional(),
    }),
  },
  responses: {
    200: jsonContent(AuditLogListSchema, "A page of audit rows"),
    ...apiErrors(),
  },
});

export const listAuditHandler: RouteHandler<typeof listAuditRoute, AppEnv> = async (c) => {
  const q = c.req.valid("query");
  const [resourceType, resourceId] = q.resource ? q.resource.split(":") : [];
  const beforeSeq = q.cursor ? Number(decodeCursor(q.cursor, "-seq", 1).k[0]) : undefined;
  const page = await listAudit(c.get("db"), {
    limit: q.limit,
    actorId: q.actor,
    action: q.action,
    resourceType,
    resourceId,
    since: q.since ? new Date(q.since).toISOString() : undefined,
    until: q.until ? new Date(q.until).toISOString() : undefined,
    beforeSeq,
  });
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      data: page.rows.map(toAuditDto),
      next_cursor: page.hasMore && last ? encodeCursor({ s: "-seq", k: [last.seq] }) : null,
    },
    200,
  );
};
