import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { publicApiErrors } from "../../lib/openapi.ts";
import { findRefreshToken, revokeFamilyStatement } from "../../services/auth/refresh-tokens.ts";
import { revokeFamilyAccess } from "../../services/auth/revocation.ts";
import { RefreshBody } from "./schemas.ts";

export const logoutRoute = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["Auth"],
  operationId: "logout",
  summary: "Sign out: revoke a refresh token, every token rotated from it and their access tokens",
  description:
    "Revokes a refresh token, every token rotated from it, and the access tokens issued with them. Idempotent: an unknown or already revoked token also answers 204.",
  request: { body: { required: true, content: { "application/json": { schema: RefreshBody } } } },
  responses: {
    204: { description: "Signed out (also for an unknown token: logout is idempotent)" },
    ...publicApiErrors(),
  },
});

export const logoutHandler: RouteHandler<typeof logoutRoute, AppEnv> = async (c) => {
  const token = await findRefreshToken(c.get("db"), c.req.valid("json").refresh_token);
  if (token) {
    // The family's revocation and its audit entry commit together.
    const unit = requestWrite(c);
    unit.audit({
      actorType: "user",
      actorId: token.userId,
      action: "auth.logout",
      resourceType: "user",
      resourceId: token.userId,
    });
    unit.write(revokeFamilyStatement(unit.db, token.familyId));
    // The session's access tokens end too: at once in this isolate, elsewhere
    // through the revocation list in KV (written after the commit, retried).
    unit.afterCommit(() => revokeFamilyAccess(c.env.CACHE, token.familyId));
    await unit.commit();
  }
  return c.body(null, 204);
};
