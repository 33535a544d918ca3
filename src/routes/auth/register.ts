import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { Context } from "hono";
import { isUniqueViolation } from "../../db/errors.ts";
import {
  countUsers,
  insertUser,
  newUserRow,
  noUsersYet,
  userExists,
} from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { addressBucket } from "../../lib/cidr.ts";
import { clientIp } from "../../lib/client-ip.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { jsonContent, publicApiErrors } from "../../lib/openapi.ts";
import { hashPassword } from "../../lib/password.ts";
import { ApiError } from "../../lib/problem.ts";
import { rateLimit, rateLimited } from "../../middleware/rate-limit.ts";
import { countFailure, peekFailures } from "../../rate-limit/failures.ts";
import { POLICIES } from "../../rate-limit/policies.ts";
import type { Decision } from "../../rate-limit/sliding-log.ts";
import { RegisterBody, TokenResponse } from "./schemas.ts";
import { signIn } from "./sign-in.ts";

export const registerRoute = createRoute({
  method: "post",
  path: "/auth/register",
  tags: ["Auth"],
  operationId: "register",
  summary: "Create an account (the first account on an empty database becomes admin)",
  description:
    "Creates an account from an e-mail address, a password and a name, and signs it in: the answer carries an access token and a refresh token. The first account on an empty database becomes an admin, every later one a viewer. Registrations are limited per client address; when the limiter cannot be reached, registration is refused with a 503 rather than let through.",
  // 10/min per IP, and few "already registered" answers per IP (register_conflicts);
  // if the limiter cannot answer, registration is refused (503).
  middleware: [rateLimit({ policy: "register", failClosed: true })] as const,
  request: { body: { required: true, content: { "application/json": { schema: RegisterBody } } } },
  responses: {
    201: jsonContent(TokenResponse, "Account created; signed in"),
    ...publicApiErrors("conflict", "service_unavailable"),
  },
});

const emailTaken = () =>
  new ApiError("conflict", {
    detail: "An account with this e-mail address already exists",
    errors: [{ path: "email", message: "already registered" }],
  });

const CONFLICTS = POLICIES.register_conflicts;

/**
 * Peeks at (before the lookup) or counts (after a conflict) this address's
 * "already registered" answers; 429 when it has had its share. Fails closed like
 * the rest of registration.
 */
async function guardConflicts(c: Context<AppEnv>, op: typeof peekFailures): Promise<void> {
  let d: Decision;
  try {
    d = await op(c.env, CONFLICTS, addressBucket(clientIp(c)));
  } catch {
    throw new ApiError("service_unavailable", {
      detail: "Registration is temporarily unavailable; try again shortly",
      headers: { "Retry-After": "1" },
    });
  }
  if (d.allowed) return;
  throw rateLimited(
    CONFLICTS,
    d,
    "Too many registration attempts from your address; retry after the indicated time",
  );
}

export const registerHandler: RouteHandler<typeof registerRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const db = c.get("db");
  // An address that was told "already registered" too often may not probe further.
  await guardConflicts(c, peekFailures);
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
        userExists(user.id),
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        await guardConflicts(c, countFailure);
        throw emailTaken();
      }
      throw error;
    }
    if (!session.read(inserted).length) continue;
    c.header("Location", `/api/v2/users/${user.id}`);
    return c.json(session.body, 201);
  }
  throw new Error("registration inserted no row as viewer");
};
