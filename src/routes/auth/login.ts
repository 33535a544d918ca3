import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { findUserByEmail, updateUser } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  verifyPassword,
} from "../../lib/password.ts";
import { ApiError } from "../../lib/problem.ts";
import { LoginBody, TokenResponse } from "./schemas.ts";
import { auditSelf, sessionBody } from "./sign-in.ts";

export const loginRoute = createRoute({
  method: "post",
  path: "/auth/login",
  tags: ["Auth"],
  operationId: "login",
  summary: "Sign in with e-mail and password",
  request: { body: { required: true, content: { "application/json": { schema: LoginBody } } } },
  responses: {
    200: jsonContent(TokenResponse, "Signed in"),
    401: errorResponse("unauthorized"),
    ...commonErrors,
  },
});

export const loginHandler: RouteHandler<typeof loginRoute, AppEnv> = async (c) => {
  const { email, password } = c.req.valid("json");
  const user = await findUserByEmail(c.var.db, email);
  // Always run one PBKDF2: the response time must not reveal whether the account exists.
  const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user?.passwordHash || !valid || user.disabledAt) {
    await audit(c, {
      actorType: "anonymous",
      actorId: null,
      action: "auth.login_failed",
      resourceType: "user",
      resourceId: user?.id ?? null,
      summary: {
        reason: !user ? "unknown_account" : user.disabledAt ? "disabled" : "bad_password",
      },
    });
    throw new ApiError("unauthorized", {
      detail: "Invalid e-mail or password",
      headers: { "WWW-Authenticate": 'Bearer realm="edgepanel"' },
    });
  }
  if (needsRehash(user.passwordHash)) {
    c.executionCtx.waitUntil(
      hashPassword(password).then((passwordHash) =>
        updateUser(c.var.db, user.id, { passwordHash }),
      ),
    );
  }
  await auditSelf(c, user, "auth.login");
  return c.json(await sessionBody(c, user), 200);
};
