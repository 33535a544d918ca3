import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { findUserById } from "../../db/queries/users.ts";
import type { AppEnv } from "../../env.ts";
import { auditOnly } from "../../lib/mutate.ts";
import { jsonContent, publicApiErrors } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "../../services/auth/access-token.ts";
import { revokeFamily, rotateRefreshToken } from "../../services/auth/refresh-tokens.ts";
import { RefreshBody, TokenResponse, toUserDto } from "./schemas.ts";

export const refreshRoute = createRoute({
  method: "post",
  path: "/auth/refresh",
  tags: ["Auth"],
  operationId: "refreshToken",
  summary: "Exchange a refresh token for a new token pair (rotation; reuse revokes the family)",
  description:
    "Exchanges a refresh token for a new access token and refresh token. A refresh token works once: presenting one that was already exchanged revokes every token descended from the same sign-in, since only a stolen copy would be replayed.",
  request: { body: { required: true, content: { "application/json": { schema: RefreshBody } } } },
  responses: {
    200: jsonContent(TokenResponse, "A new access and refresh token"),
    ...publicApiErrors("unauthorized"),
  },
});

const invalid = () =>
  new ApiError("unauthorized", {
    detail: "The refresh token is invalid, expired or revoked",
    headers: { "WWW-Authenticate": 'Bearer realm="edgepanel", error="invalid_token"' },
  });

export const refreshHandler: RouteHandler<typeof refreshRoute, AppEnv> = async (c) => {
  const { refresh_token } = c.req.valid("json");
  const rotated = await rotateRefreshToken(c.get("db"), c.env.CACHE, refresh_token);
  if (!rotated.ok) {
    if (rotated.error === "reused") {
      await auditOnly(c, {
        actorType: "anonymous",
        actorId: null,
        action: "auth.refresh_reuse",
        resourceType: "refresh_token_family",
        resourceId: rotated.detail ?? null,
        summary: { outcome: "family_revoked" },
      });
    }
    throw invalid();
  }
  const user = await findUserById(c.get("db"), rotated.value.userId);
  if (!user || user.disabledAt) {
    await revokeFamily(c.get("db"), c.env.CACHE, rotated.value.familyId);
    throw invalid();
  }
  const { token } = await issueAccessToken(
    c.get("config").JWT_SECRET,
    user,
    rotated.value.familyId,
  );
  c.header("Cache-Control", "no-store");
  return c.json(
    {
      user: toUserDto(user),
      access_token: token,
      refresh_token: rotated.value.token,
      token_type: "Bearer" as const,
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
    },
    200,
  );
};
