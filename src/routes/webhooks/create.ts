import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { insertIf } from "../../db/mutation.ts";
import { webhookEndpoints } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { resourceEtag } from "../../lib/etag.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal, requireScope, securityFor } from "../../middleware/auth.ts";
import { idempotency } from "../../middleware/idempotency.ts";
import { outboundPolicy } from "../../middleware/outbound-policy.ts";
import {
  auditView,
  belowEndpointQuota,
  MAX_ENDPOINTS_PER_OWNER,
  newEndpoint,
} from "../../services/webhooks/endpoints.ts";
import { CreateWebhookBody, toWebhookDto, WebhookWithSecretSchema } from "./schemas.ts";

export const createWebhookRoute = createRoute({
  method: "post",
  path: "/webhooks",
  tags: ["Webhooks"],
  operationId: "createWebhook",
  summary:
    "Add a webhook endpoint (operators and admins). The response carries its signing secret, shown only once. Supports Idempotency-Key.",
  description:
    "Adds a webhook endpoint for operators and admins: its URL and the event types it subscribes to. The response carries the endpoint's whsec_ signing secret, shown only this once. Supports Idempotency-Key.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write"), idempotency(), outboundPolicy()] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateWebhookBody } } },
  },
  responses: {
    201: jsonContent(WebhookWithSecretSchema, "Created (Location, ETag)"),
    ...apiErrors("forbidden", "quota_exceeded"),
  },
});

export const createWebhookHandler: RouteHandler<typeof createWebhookRoute, AppEnv> = async (c) => {
  const ownerId = requirePrincipal(c).userId;
  const { row, secret } = await newEndpoint(
    await keyringFor(c.get("config")),
    ownerId,
    c.req.valid("json"),
  );
  // The quota is the batch's condition: exact under concurrent creates.
  const unit = requestWrite(c).onlyIf(belowEndpointQuota(ownerId));
  unit.audit({
    action: "webhook.created",
    resourceType: "webhook",
    resourceId: row.id,
    summary: { after: auditView(row) },
  });
  const inserted = unit.write(
    insertIf(unit.db, webhookEndpoints, row, unit.precondition).returning({
      id: webhookEndpoints.id,
    }),
  );
  if (!(await unit.commit())(inserted).length)
    throw new ApiError("quota_exceeded", {
      detail: `You have reached the limit of ${MAX_ENDPOINTS_PER_OWNER} webhook endpoints per owner; delete endpoints you no longer need`,
      extensions: { quota: "webhooks_per_owner", limit: MAX_ENDPOINTS_PER_OWNER },
    });
  c.header("Location", `/api/v2/webhooks/${row.id}`);
  c.header("ETag", resourceEtag(row.id, row.version));
  return c.json({ ...toWebhookDto(row), secret }, 201);
};
