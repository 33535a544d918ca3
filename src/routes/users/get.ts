import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { findUserById } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { toUserDto, UserSchema } from "../auth/schemas.ts";
import { UserIdParam } from "./schemas.ts";

export const getUserRoute = createRoute({
  method: "get",
  path: "/users/{id}",
  tags: ["Users"],
  operationId: "getUser",
  summary: "Get a user (admin)",
  description: "One account by id, with its role and whether it is active. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { params: UserIdParam },
  responses: {
    200: jsonContent(UserSchema, "The user"),
    ...apiErrors("not_found"),
  },
});

export const getUserHandler: RouteHandler<typeof getUserRoute, AppEnv> = async (c) => {
  const user = await findUserById(c.get("db"), c.req.valid("param").id);
  if (!user) throw new ApiError("not_found", { detail: "No user with that id" });
  c.header("Cache-Control", "private, no-store");
  return c.json(toUserDto(user), 200);
};
