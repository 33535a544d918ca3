import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { authErrors, commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireAuth, SECURITY } from "../../middleware/auth.ts";
import { findApiKey, rotateApiKey } from "../../services/api-keys/api-keys.ts";
import { authorizeRotate } from "../../services/api-keys/authorize.ts";
import { invalidateKey } from "../../services/auth/credential-cache.ts";
import { callerOf, permitted } from "./access.ts";
import {
  ApiKeyIdParam,
  CreatedApiKeySchema,
  RotateApiKeyBody,
  toCreatedApiKeyDto,
} from "./schemas.ts";

export const rotateApiKeyRoute = createRoute({
  method: "post",
  path: "/api-keys/{id}/rotate",
  tags: ["API keys"],
  operationId: "rotateApiKey",
  summary: "Issue a replacement key; the old one keeps working for the grace period",
  security: SECURITY,
  middleware: [requireAuth()] as const,
  request: {
    params: ApiKeyIdParam,
    body: { required: false, content: { "application/json": { schema: RotateApiKeyBody } } },
  },
  responses: {
    201: jsonContent(CreatedApiKeySchema, "The new key, with its secret"),
    404: errorResponse("not_found"),
    409: errorResponse("conflict"),
    ...authErrors,
    ...commonErrors,
  },
});

export const rotateApiKeyHandler: RouteHandler<typeof rotateApiKeyRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const grace = RotateApiKeyBody.parse(c.req.valid("json") ?? {}).grace_period_seconds;
  // Only the owner rotates, with a credential at least as wide as the key (authorize.ts).
  const row = await findApiKey(c.get("db"), id, null);
  const old = permitted(authorizeRotate(callerOf(c), row), row);
  const rotated = await rotateApiKey(c.get("db"), await keyringFor(c.get("config")), old, grace);
  if (!rotated.ok)
    throw new ApiError("conflict", {
      detail: "Only an active key that was not already rotated can be rotated",
    });
  await invalidateKey(c.env, old.keyHash);
  await audit(c, {
    action: "api_key.rotated",
    resourceType: "api_key",
    resourceId: old.id,
    summary: {
      after: { replaced_by: rotated.value.row.id, old_key_expires_at: rotated.value.oldExpiresAt },
    },
  });
  c.header("Location", `/api/v2/api-keys/${rotated.value.row.id}`);
  c.header("Cache-Control", "no-store");
  return c.json(toCreatedApiKeyDto(rotated.value), 201);
};
