import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireAuth, securityFor } from "../../middleware/auth.ts";
import {
  addRotation,
  findApiKey,
  keyStillActive,
  planRotation,
} from "../../services/api-keys/api-keys.ts";
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
  description:
    "Issues a replacement key with the same settings. The old key keeps working for the grace period (`grace_period_seconds`, one day by default, at most a week) so clients can switch over, never longer than it would have anyway. Rotating a key that was already rotated or revoked is a 409.",
  security: securityFor(),
  middleware: [requireAuth()] as const,
  request: {
    params: ApiKeyIdParam,
    body: { required: false, content: { "application/json": { schema: RotateApiKeyBody } } },
  },
  responses: {
    201: jsonContent(CreatedApiKeySchema, "The new key, with its secret"),
    ...apiErrors("not_found", "conflict"),
  },
});

export const rotateApiKeyHandler: RouteHandler<typeof rotateApiKeyRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const grace = RotateApiKeyBody.parse(c.req.valid("json") ?? {}).grace_period_seconds;
  // Only the owner rotates, with a credential at least as wide as the key (authorize.ts).
  const row = await findApiKey(c.get("db"), id, null);
  const old = permitted(authorizeRotate(callerOf(c), row), row);
  const planned = await planRotation(await keyringFor(c.get("config")), old, grace);
  const inactive = () =>
    new ApiError("conflict", {
      detail: "Only an active key that was not already rotated can be rotated",
    });
  if (!planned.ok) throw inactive();
  const rotation = planned.value;
  // One batch: the replacement key, the audit entry and the old key's retirement,
  // all under "the old key is still active" (a concurrent rotation or revocation
  // makes this one apply nothing).
  const unit = requestWrite(c).onlyIf(keyStillActive(old.id));
  unit.audit({
    action: "api_key.rotated",
    resourceType: "api_key",
    resourceId: old.id,
    summary: {
      after: {
        replaced_by: rotation.replacement.row.id,
        old_key_expires_at: rotation.oldExpiresAt,
      },
    },
  });
  const retired = addRotation(unit, old.id, rotation);
  unit.afterCommit(() => invalidateKey(c.env, old.keyHash));
  if (!(await unit.commit())(retired).length) throw inactive();
  c.header("Location", `/api/v2/api-keys/${rotation.replacement.row.id}`);
  c.header("Cache-Control", "no-store");
  return c.json(toCreatedApiKeyDto(rotation.replacement), 201);
};
