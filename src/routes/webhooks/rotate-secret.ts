import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { rowExists } from "../../db/mutation.ts";
import { webhookEndpoints } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { decrypt, keyringFor } from "../../lib/crypto.ts";
import { resourceEtag, versionFromIfMatch } from "../../lib/etag.ts";
import { nowIso } from "../../lib/ids.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { endpointAtVersion } from "../../services/webhooks/endpoints.ts";
import {
  encryptSecret,
  newWebhookSecret,
  PREVIOUS_SECRET_CONTEXT,
  ROTATION_GRACE_MS,
  SECRET_CONTEXT,
} from "../../services/webhooks/signing.ts";
import { loadEndpoint, staleWrite } from "./access.ts";
import { toWebhookDto, WebhookIdParam, WebhookWithSecretSchema } from "./schemas.ts";

export const rotateWebhookSecretRoute = createRoute({
  method: "post",
  path: "/webhooks/{id}/rotate-secret",
  tags: ["Webhooks"],
  operationId: "rotateWebhookSecret",
  summary:
    "Replace the signing secret. For 24 hours deliveries carry signatures by both the new and the previous secret; the new secret is shown only in this response.",
  description:
    "Rotates an endpoint's signing secret: the new whsec_ secret is returned once, and the previous one keeps signing beside it for 24 hours so receivers can switch without missing a delivery.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write")] as const,
  request: { params: WebhookIdParam },
  responses: {
    200: jsonContent(WebhookWithSecretSchema, "The endpoint with its new secret"),
    ...apiErrors("not_found", "precondition_failed"),
  },
});

export const rotateWebhookSecretHandler: RouteHandler<
  typeof rotateWebhookSecretRoute,
  AppEnv
> = async (c) => {
  const current = await loadEndpoint(c, c.req.valid("param").id);
  const expected = versionFromIfMatch(c, current.id, current.version);
  const ring = await keyringFor(c.get("config"));
  const secret = newWebhookSecret();
  const now = Date.now();
  // The secret being replaced keeps signing for the grace period; one that was
  // already in its grace period stops now (at most two secrets sign at once).
  const previous = await decrypt(ring, current.secretEnc, SECRET_CONTEXT);
  const unit = requestWrite(c).onlyIf(
    rowExists(webhookEndpoints, endpointAtVersion(current.id, expected)),
  );
  unit.audit({
    action: "webhook.secret_rotated",
    resourceType: "webhook",
    resourceId: current.id,
    summary: { previous_secret_expires_at: nowIso(now + ROTATION_GRACE_MS) },
  });
  const updated = unit.write(
    unit.db
      .update(webhookEndpoints)
      .set({
        secretEnc: await encryptSecret(ring, secret),
        previousSecretEnc: await encryptSecret(ring, previous, PREVIOUS_SECRET_CONTEXT),
        previousSecretExpiresAt: nowIso(now + ROTATION_GRACE_MS),
        version: sql`${webhookEndpoints.version} + 1`,
        updatedAt: nowIso(now),
      })
      .where(endpointAtVersion(current.id, expected))
      .returning(),
  );
  const [row] = (await unit.commit())(updated);
  if (!row) throw staleWrite();
  c.header("ETag", resourceEtag(row.id, row.version));
  return c.json({ ...toWebhookDto(row), secret }, 200);
};
