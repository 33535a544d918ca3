import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { authErrors, commonErrors, errorResponse } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireAuth, requirePrincipal, SECURITY } from "../../middleware/auth.ts";
import { findApiKey, revokeApiKey } from "../../services/api-keys/api-keys.ts";
import { invalidateKey } from "../../services/auth/credential-cache.ts";
import { ApiKeyIdParam } from "./schemas.ts";

export const revokeApiKeyRoute = createRoute({
  method: "delete",
  path: "/api-keys/{id}",
  tags: ["API keys"],
  operationId: "revokeApiKey",
  summary: "Revoke an API key (immediately here, within 60 s everywhere)",
  security: SECURITY,
  middleware: [requireAuth()] as const,
  request: { params: ApiKeyIdParam },
  responses: {
    204: { description: "Revoked" },
    404: errorResponse("not_found"),
    ...authErrors,
    ...commonErrors,
  },
});

export const revokeApiKeyHandler: RouteHandler<typeof revokeApiKeyRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const { id } = c.req.valid("param");
  // Someone else's key is 404, not 403: its existence is not ours to reveal. Admins see all.
  const key = await findApiKey(c.get("db"), id, p.role === "admin" ? null : p.userId);
  if (!key) throw new ApiError("not_found", { detail: "No API key with that id" });
  const revoked = await revokeApiKey(c.get("db"), id);
  await invalidateKey(c.env, key.keyHash);
  if (revoked) {
    await audit(c, {
      action: "api_key.revoked",
      resourceType: "api_key",
      resourceId: id,
      summary: { before: { name: key.name } },
    });
  }
  return c.body(null, 204);
};
