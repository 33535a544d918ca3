import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { clientIp } from "../../lib/client-ip.ts";
import { auditOnly } from "../../lib/mutate.ts";
import { jsonContent, publicApiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { rateLimit } from "../../middleware/rate-limit.ts";
import { type LoginResult, passwordLogin } from "../../services/auth/login.ts";
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

/** The problem for each way a login can fail. */
function loginProblem(failure: Extract<LoginResult, { ok: false }>): ApiError {
  const retryAfter = { "Retry-After": String(failure.detail?.retryAfterSeconds ?? 1) };
  switch (failure.error) {
    case "locked":
      return new ApiError("rate_limited", {
        detail: "Too many failed sign-in attempts; try again later",
        headers: retryAfter,
      });
    case "unavailable":
      return new ApiError("service_unavailable", {
        detail: "Sign-in is temporarily unavailable; try again shortly",
        headers: retryAfter,
      });
    case "invalid_credentials":
      return new ApiError("unauthorized", {
        detail: "Invalid e-mail or password",
        headers: { "WWW-Authenticate": 'Bearer realm="edgepanel"' },
      });
  }
}

export const loginHandler: RouteHandler<typeof loginRoute, AppEnv> = async (c) => {
  const result = await passwordLogin(
    {
      env: c.env,
      db: c.get("db"),
      ip: clientIp(c),
      audit: (entries) => auditOnly(c, ...entries),
      waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    },
    c.req.valid("json"),
  );
  if (!result.ok) throw loginProblem(result);
  const { body } = await signIn(c, result.value, [{ action: "auth.login" }]);
  return c.json(body, 200);
};
