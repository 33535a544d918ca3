import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { createUser } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { hashPassword } from "../../lib/password.ts";
import { ApiError } from "../../lib/problem.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
import { RegisterBody, TokenResponse } from "./schemas.ts";
import { auditSelf, sessionBody } from "./sign-in.ts";

export const registerRoute = createRoute({
  method: "post",
  path: "/auth/register",
  tags: ["Auth"],
  operationId: "register",
  summary: "Create an account (the first account on an empty database becomes admin)",
  // 10/min per IP; if the limiter cannot answer, registration is refused (503).
  middleware: [rateLimit({ policy: "register", failClosed: true })] as const,
  request: { body: { required: true, content: { "application/json": { schema: RegisterBody } } } },
  responses: {
    201: jsonContent(TokenResponse, "Account created; signed in"),
    409: errorResponse("conflict"),
    503: errorResponse("service_unavailable"),
    ...commonErrors,
  },
});

export const registerHandler: RouteHandler<typeof registerRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const created = await createUser(c.get("db"), {
    email: body.email,
    name: body.name,
    passwordHash: await hashPassword(body.password),
  });
  if (!created.ok) {
    throw new ApiError("conflict", {
      detail: "An account with this e-mail address already exists",
      errors: [{ path: "email", message: "already registered" }],
    });
  }
  const user = created.value;
  await auditSelf(c, user, "user.registered", { after: { role: user.role } });
  c.header("Location", `/api/v2/users/${user.id}`);
  return c.json(await sessionBody(c, user), 201);
};
