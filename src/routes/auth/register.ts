import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { isUniqueViolation } from "../../db/errors.ts";
import { rowExists } from "../../db/mutation.ts";
import { countUsers, insertUser, newUserRow, noUsersYet } from "../../db/queries/users.ts";
import { users } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { hashPassword } from "../../lib/password.ts";
import { ApiError } from "../../lib/problem.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
import { RegisterBody, TokenResponse } from "./schemas.ts";
import { signIn } from "./sign-in.ts";

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

const emailTaken = () =>
  new ApiError("conflict", {
    detail: "An account with this e-mail address already exists",
    errors: [{ path: "email", message: "already registered" }],
  });

export const registerHandler: RouteHandler<typeof registerRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const db = c.get("db");
  const passwordHash = await hashPassword(body.password);
  // The first account on an empty database becomes admin. The guess is checked
  // inside the batch (`noUsersYet`); if another registration won the race, the
  // batch inserts nothing and this one is retried as a viewer.
  for (const role of (await countUsers(db)) === 0
    ? (["admin", "viewer"] as const)
    : ["viewer" as const]) {
    const user = newUserRow({ email: body.email, name: body.name, passwordHash, role });
    const unit = requestWrite(c);
    const inserted = unit.write(
      insertUser(unit.db, user, role === "admin" ? noUsersYet : undefined),
    );
    let session: Awaited<ReturnType<typeof signIn>>;
    try {
      // The user, their first refresh token and the audit entry: one batch.
      session = await signIn(
        c,
        user,
        [{ action: "user.registered", summary: { after: { role } } }],
        unit,
        rowExists(users, eq(users.id, user.id)),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw emailTaken();
      throw error;
    }
    if (!session.read(inserted).length) continue;
    c.header("Location", `/api/v2/users/${user.id}`);
    return c.json(session.body, 201);
  }
  throw new Error("registration inserted no row as viewer");
};
