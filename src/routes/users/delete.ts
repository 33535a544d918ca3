import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { deleteUserStatements, findUserById, userExists } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { keyHashesOfOwner } from "../../services/api-keys/api-keys.ts";
import { invalidateUserKeys } from "../../services/auth/credential-cache.ts";
import { anotherActiveAdmin } from "../../services/users/admin-guard.ts";
import { UserIdParam } from "./schemas.ts";

export const deleteUserRoute = createRoute({
  method: "delete",
  path: "/users/{id}",
  tags: ["Users"],
  operationId: "deleteUser",
  summary: "Delete a user, their sessions and keys (admin)",
  description:
    "Deletes an account together with its refresh tokens and API keys; the audit log keeps its history. Deleting the last active admin is refused with a 409. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { params: UserIdParam },
  responses: {
    204: { description: "Deleted" },
    ...apiErrors("not_found", "conflict"),
  },
});

export const deleteUserHandler: RouteHandler<typeof deleteUserRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const db = c.get("db");
  const user = await findUserById(db, id);
  if (!user) throw new ApiError("not_found", { detail: "No user with that id" });
  // Read before the delete: the cached keys are found by owner.
  const keyHashes = await keyHashesOfOwner(db, id);
  // The user, everything they own and the audit entry: one batch, applied only
  // while the user exists and (for an admin) another active admin remains.
  const condition = user.role === "admin" ? anotherActiveAdmin(id) : undefined;
  const unit = requestWrite(c).onlyIf(userExists(id, condition));
  unit.audit({
    action: "user.deleted",
    resourceType: "user",
    resourceId: id,
    summary: { before: { role: user.role } },
  });
  const { dependents, user: deleteRow } = deleteUserStatements(unit.db, id, condition);
  for (const statement of dependents) unit.write(statement);
  const deleted = unit.write(deleteRow);
  unit.afterCommit(() => invalidateUserKeys(c.env, id, keyHashes));
  if (!(await unit.commit())(deleted).length) {
    if (condition)
      throw new ApiError("conflict", { detail: "The last active admin cannot be deleted" });
    throw new ApiError("not_found", { detail: "No user with that id" });
  }
  return c.body(null, 204);
};
