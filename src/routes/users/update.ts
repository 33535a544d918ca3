import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { findUserById, updateUser } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { authErrors, commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, SECURITY } from "../../middleware/auth.ts";
import { invalidateUser } from "../../services/auth/credential-cache.ts";
import { revokeAllForUser } from "../../services/auth/refresh-tokens.ts";
import { anotherActiveAdminExists } from "../../services/users/admin-guard.ts";
import { toUserDto, UserSchema } from "../auth/schemas.ts";
import { UpdateUserBody, UserIdParam } from "./schemas.ts";

export const updateUserRoute = createRoute({
  method: "patch",
  path: "/users/{id}",
  tags: ["Users"],
  operationId: "updateUser",
  summary: "Change a user's name, role or status (admin)",
  security: SECURITY,
  middleware: [requireRole("admin")] as const,
  request: {
    params: UserIdParam,
    body: { required: true, content: { "application/json": { schema: UpdateUserBody } } },
  },
  responses: {
    200: jsonContent(UserSchema, "The updated user"),
    404: errorResponse("not_found"),
    409: errorResponse("conflict"),
    ...authErrors,
    ...commonErrors,
  },
});

export const updateUserHandler: RouteHandler<typeof updateUserRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const before = await findUserById(c.get("db"), id);
  if (!before) throw new ApiError("not_found", { detail: "No user with that id" });
  const losesAdmin =
    before.role === "admin" &&
    !before.disabledAt &&
    ((body.role && body.role !== "admin") || body.status === "disabled");
  if (losesAdmin && !(await anotherActiveAdminExists(c.get("db"), id))) {
    throw new ApiError("conflict", {
      detail: "The last active admin cannot be demoted or disabled",
    });
  }
  const after = await updateUser(c.get("db"), id, {
    name: body.name,
    role: body.role,
    disabled: body.status === undefined ? undefined : body.status === "disabled",
  });
  if (!after) throw new ApiError("not_found", { detail: "No user with that id" });
  if (body.status === "disabled") await revokeAllForUser(c.get("db"), id);
  await invalidateUser(c.env, c.get("db"), id);
  const changes = {
    before: {
      name: before.name,
      role: before.role,
      status: before.disabledAt ? "disabled" : "active",
    },
    after: { name: after.name, role: after.role, status: after.disabledAt ? "disabled" : "active" },
  };
  await audit(c, {
    action:
      body.role && body.role !== before.role
        ? "user.role_changed"
        : body.status
          ? `user.${body.status === "disabled" ? "deactivated" : "reactivated"}`
          : "user.updated",
    resourceType: "user",
    resourceId: id,
    summary: changes,
  });
  c.header("Cache-Control", "private, no-store");
  return c.json(toUserDto(after), 200);
};
