import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors } from "../../lib/openapi.ts";
import { requireAuth, securityFor } from "../../middleware/auth.ts";
import {
  findApiKey,
  keyNotRevoked,
  revokeApiKeyIfActive,
} from "../../services/api-keys/api-keys.ts";
import { authorizeRevoke } from "../../services/api-keys/authorize.ts";
import { invalidateKey } from "../../services/auth/credential-cache.ts";
import { callerOf, permitted } from "./access.ts";
import { ApiKeyIdParam } from "./schemas.ts";

export const revokeApiKeyRoute = createRoute({
  method: "delete",
  path: "/api-keys/{id}",
  tags: ["API keys"],
  operationId: "revokeApiKey",
  summary: "Revoke an API key (immediately here, within 60 s everywhere)",
  description:
    "Revokes an API key: refused at once by the instance that answers, and everywhere within 60 seconds, as cached credentials expire.",
  security: securityFor(),
  middleware: [requireAuth()] as const,
  request: { params: ApiKeyIdParam },
  responses: {
    204: { description: "Revoked" },
    ...apiErrors("not_found"),
  },
});

export const revokeApiKeyHandler: RouteHandler<typeof revokeApiKeyRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  // Someone else's key is 404 unless the caller has admin power (authorize.ts).
  const row = await findApiKey(c.get("db"), id, null);
  const key = permitted(authorizeRevoke(callerOf(c), row), row);
  // Revoking twice is fine (204) but audited once: the entry lands only with the
  // UPDATE that actually revokes.
  const unit = requestWrite(c).onlyIf(keyNotRevoked(id));
  unit.audit({
    action: "api_key.revoked",
    resourceType: "api_key",
    resourceId: id,
    summary: { before: { name: key.name } },
  });
  unit.write(revokeApiKeyIfActive(unit.db, id));
  unit.afterCommit(() => invalidateKey(c.env, key.keyHash));
  await unit.commit();
  return c.body(null, 204);
};
