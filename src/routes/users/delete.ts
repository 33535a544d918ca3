import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { deleteUser, findUserById } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { authErrors, commonErrors, errorResponse } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, SECURITY } from "../../middleware/auth.ts";
import { invalidateUser } from "../../services/auth/credential-cache.ts";
import { anotherActiveAdminExists } from "../../services/users/admin-guard.ts";
import { UserIdParam } from "./schemas.ts";

export const deleteUserRoute = createRoute({
  method: "delete",
  path: "/users/{id}",
  tags: ["Users"],
  operationId: "deleteUser",
  summary: "Delete a user, their sessions and keys (admin)",
  security: SECURITY,
  middleware: [requireRole("admin")] as const,
  request: { params: UserIdParam },
  responses: {
    204: { description: "Deleted" },
    404: errorResponse("not_found"),
    409: errorResponse("conflict"),
    ...authErrors,
    ...commonErrors,
  },
});

export const deleteUserHandler: RouteHandler<typeof deleteUserRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const user = await findUserById(c.get("db"), id);
  if (!user) throw new ApiError("not_found", { detail: "No user with that id" });
  if (user.role === "admin" && !(await anotherActiveAdminExists(c.get("db"), id))) {
    throw new ApiError("conflict", { detail: "The last active admin cannot be deleted" });
  }
  // Invalidate before deleting: the key hashes are looked up by owner.
  await invalidateUser(c.env, c.get("db"), id);
  await deleteUser(c.get("db"), id);
  await audit(c, {
    action: "user.deleted",
    resourceType: "user",
    resourceId: id,
    summary: { before: { role: user.role } },
  });
  return c.body(null, 204);
};
