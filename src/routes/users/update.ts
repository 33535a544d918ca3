import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import {
  findUserById,
  updateUserWhere,
  userExists,
  userPatchColumns,
} from "../../db/queries/users.ts";
import type { UserRow } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { invalidateUser } from "../../services/auth/credential-cache.ts";
import { revokeAllForUserWhere } from "../../services/auth/refresh-tokens.ts";
import { anotherActiveAdmin } from "../../services/users/admin-guard.ts";
import { toUserDto, UserSchema } from "../auth/schemas.ts";
import { UpdateUserBody, UserIdParam } from "./schemas.ts";

export const updateUserRoute = createRoute({
  method: "patch",
  path: "/users/{id}",
  tags: ["Users"],
  operationId: "updateUser",
  summary: "Change a user's name, role or status (admin)",
  description:
    "Changes an account's name, role or status. Demoting or deactivating the last active admin is refused with a 409. Deactivating an account ends its sessions and stops its API keys. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: {
    params: UserIdParam,
    body: { required: true, content: { "application/json": { schema: UpdateUserBody } } },
  },
  responses: {
    200: jsonContent(UserSchema, "The updated user"),
    ...apiErrors("not_found", "conflict"),
  },
});

const status = (u: Pick<UserRow, "disabledAt">) => (u.disabledAt ? "disabled" : "active");

export const updateUserHandler: RouteHandler<typeof updateUserRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const before = await findUserById(c.get("db"), id);
  if (!before) throw new ApiError("not_found", { detail: "No user with that id" });
  const losesAdmin =
    before.role === "admin" &&
    !before.disabledAt &&
    ((body.role && body.role !== "admin") || body.status === "disabled");
  const set = userPatchColumns({
    name: body.name,
    role: body.role,
    disabled: body.status === undefined ? undefined : body.status === "disabled",
  });
  const after = { ...before, ...set };
  // One batch under one condition: the user still exists and, if this change
  // takes away an active admin, another active admin remains. The condition is
  // checked inside the transaction, so two admins demoting each other at the
  // same time cannot both succeed.
  const condition = losesAdmin ? anotherActiveAdmin(id) : undefined;
  const unit = requestWrite(c).onlyIf(userExists(id, condition));
  unit.audit({
    action:
      body.role && body.role !== before.role
        ? "user.role_changed"
        : body.status
          ? `user.${body.status === "disabled" ? "deactivated" : "reactivated"}`
          : "user.updated",
    resourceType: "user",
    resourceId: id,
    summary: {
      before: { name: before.name, role: before.role, status: status(before) },
      after: { name: after.name, role: after.role, status: status(after) },
    },
  });
  if (body.status === "disabled") unit.write(revokeAllForUserWhere(unit.db, id, condition));
  const updated = unit.write(updateUserWhere(unit.db, id, set, condition));
  unit.afterCommit(() => invalidateUser(c.env, c.get("db"), id));
  const [row] = (await unit.commit())(updated);
  if (!row) {
    if (losesAdmin)
      throw new ApiError("conflict", {
        detail: "The last active admin cannot be demoted or disabled",
      });
    throw new ApiError("not_found", { detail: "No user with that id" });
  }
  c.header("Cache-Control", "private, no-store");
  return c.json(toUserDto(row), 200);
};
