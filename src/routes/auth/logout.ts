import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { commonErrors } from "../../lib/openapi.ts";
import { revokeRefreshToken } from "../../services/auth/refresh-tokens.ts";
import { RefreshBody } from "./schemas.ts";

export const logoutRoute = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["Auth"],
  operationId: "logout",
  summary: "Sign out: revoke a refresh token, every token rotated from it and their access tokens",
  request: { body: { required: true, content: { "application/json": { schema: RefreshBody } } } },
  responses: {
    204: { description: "Signed out (also for an unknown token: logout is idempotent)" },
    ...commonErrors,
  },
});

export const logoutHandler: RouteHandler<typeof logoutRoute, AppEnv> = async (c) => {
  const revoked = await revokeRefreshToken(
    c.get("db"),
    c.env.CACHE,
    c.req.valid("json").refresh_token,
  );
  if (revoked) {
    await audit(c, {
      actorType: "user",
      actorId: revoked.userId,
      action: "auth.logout",
      resourceType: "user",
      resourceId: revoked.userId,
    });
  }
  return c.body(null, 204);
};
