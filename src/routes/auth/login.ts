import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { findUserByEmail, updateUser } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { clientIp } from "../../lib/client-ip.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { jsonContent, publicApiErrors } from "../../lib/openapi.ts";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  verifyPassword,
} from "../../lib/password.ts";
import { ApiError } from "../../lib/problem.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
import {
  accountKey,
  lockedForMs,
  recordFailure,
  recordSuccess,
} from "../../rate-limit/brute-force.ts";
import { LimiterUnavailable } from "../../rate-limit/limiter.ts";
import { LoginBody, TokenResponse } from "./schemas.ts";
import { signIn } from "./sign-in.ts";

export const loginRoute = createRoute({
  method: "post",
  path: "/auth/login",
  tags: ["Auth"],
  operationId: "login",
  summary: "Sign in with e-mail and password",
  description:
    "Exchanges an e-mail address and password for a 15-minute access token and a refresh token. A wrong address and a wrong password get the same 401. Attempts are limited per client address and per account; when the limiter cannot be reached, sign-in is refused with a 503 rather than let through.",
  // 10/min per IP; if the limiter cannot answer, login is refused (503). Deliberately no
  // per-account request limit: anyone could spend it and lock the user out. Accounts are
  // protected by the lockouts in rate-limit/brute-force.ts instead.
  middleware: [rateLimit({ policy: "login", failClosed: true })] as const,
  request: { body: { required: true, content: { "application/json": { schema: LoginBody } } } },
  responses: {
    200: jsonContent(TokenResponse, "Signed in"),
    ...publicApiErrors("unauthorized", "service_unavailable"),
  },
});

const unavailable = () =>
  new ApiError("service_unavailable", {
    detail: "Sign-in is temporarily unavailable; try again shortly",
    headers: { "Retry-After": "1" },
  });

/** Brute-force calls fail closed: without the counter, login would be unprotected. */
const guarded = <T>(p: Promise<T>) =>
  p.catch((error) => {
    if (error instanceof LimiterUnavailable) throw unavailable();
    throw error;
  });

export const loginHandler: RouteHandler<typeof loginRoute, AppEnv> = async (c) => {
  const { email, password } = c.req.valid("json");
  const account = await accountKey(email);
  const ip = clientIp(c);
  const locked = await guarded(lockedForMs(c.env, account, ip));
  if (locked > 0) {
    throw new ApiError("rate_limited", {
      detail: "Too many failed sign-in attempts; try again later",
      headers: { "Retry-After": String(Math.ceil(locked / 1000)) },
    });
  }
  const user = await findUserByEmail(c.get("db"), email);
  // Always run one PBKDF2: the response time must not reveal whether the account exists.
  const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user?.passwordHash || !valid || user.disabledAt) {
    const counts = await guarded(recordFailure(c.env, account, ip));
    const lockouts = [
      {
        r: counts.account,
        resourceType: "user",
        resourceId: user?.id ?? null,
        scope: "account_ip",
      },
      { r: counts.ip, resourceType: "ip", resourceId: ip, scope: "ip" },
    ];
    // The failure and any lockouts it caused: one batch of audit entries.
    const unit = requestWrite(c);
    const anonymous = { actorType: "anonymous" as const, actorId: null };
    for (const { r, resourceType, resourceId, scope } of lockouts) {
      if (r.lockedForMs > 0) {
        unit.audit({
          ...anonymous,
          action: "auth.lockout",
          resourceType,
          resourceId,
          summary: {
            scope,
            ip,
            failures: r.failures,
            locked_for_seconds: Math.ceil(r.lockedForMs / 1000),
          },
        });
      }
    }
    if (counts.accountWideFilled) {
      unit.audit({
        ...anonymous,
        action: "auth.lockout",
        resourceType: "user",
        resourceId: user?.id ?? null,
        summary: { scope: "account_unknown_ips" },
      });
    }
    unit.audit({
      ...anonymous,
      action: "auth.login_failed",
      resourceType: "user",
      resourceId: user?.id ?? null,
      summary: {
        reason: !user ? "unknown_account" : user.disabledAt ? "disabled" : "bad_password",
      },
    });
    await unit.commit();
    throw new ApiError("unauthorized", {
      detail: "Invalid e-mail or password",
      headers: { "WWW-Authenticate": 'Bearer realm="edgepanel"' },
    });
  }
  if (needsRehash(user.passwordHash)) {
    c.executionCtx.waitUntil(
      hashPassword(password).then((passwordHash) =>
        updateUser(c.get("db"), user.id, { passwordHash }),
      ),
    );
  }
  await guarded(recordSuccess(c.env, account, ip));
  const { body } = await signIn(c, user, [{ action: "auth.login" }]);
  return c.json(body, 200);
};
