import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { listUsers } from "../../db/queries/users.ts";
import { ROLES } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { PaginationQuery } from "../../lib/pagination.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { toUserDto } from "../auth/schemas.ts";
import { UserListSchema } from "./schemas.ts";

export const listUsersRoute = createRoute({
  method: "get",
  path: "/users",
  tags: ["Users"],
  operationId: "listUsers",
  summary: "List users (admin)",
  description:
    "Every account with its role and status, a page at a time, optionally only those of one role. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { query: PaginationQuery.extend({ role: z.enum(ROLES).optional() }) },
  responses: {
    200: jsonContent(UserListSchema, "A page of users"),
    ...apiErrors(),
  },
});

export const listUsersHandler: RouteHandler<typeof listUsersRoute, AppEnv> = async (c) => {
  const { limit, cursor, role } = c.req.valid("query");
  const after = cursor ? (decodeCursor(cursor, "id", 1).k[0] as string) : undefined;
  const page = await listUsers(c.get("db"), { limit, afterId: after, role });
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      data: page.rows.map(toUserDto),
      next_cursor: page.hasMore && last ? encodeCursor({ s: "id", k: [last.id] }) : null,
    },
    200,
  );
};
