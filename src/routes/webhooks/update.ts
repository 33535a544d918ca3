import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { rowExists } from "../../db/mutation.ts";
import { webhookEndpoints } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { resourceEtag, versionFromIfMatch } from "../../lib/etag.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { outboundPolicy } from "../../middleware/outbound-policy.ts";
import { auditView, endpointAtVersion, patchColumns } from "../../services/webhooks/endpoints.ts";
import { loadEndpoint, staleWrite } from "./access.ts";
import { toWebhookDto, UpdateWebhookBody, WebhookIdParam, WebhookSchema } from "./schemas.ts";

export const updateWebhookRoute = createRoute({
  method: "patch",
  path: "/webhooks/{id}",
  tags: ["Webhooks"],
  operationId: "updateWebhook",
  summary:
    "Change a webhook endpoint, or enable/disable it. Send If-Match with its ETag to avoid lost updates.",
  description:
    "Changes a webhook endpoint, or enables or disables it. Send If-Match with its ETag to avoid lost updates: a stale one is a 412.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write"), outboundPolicy()] as const,
  request: {
    params: WebhookIdParam,
    body: { required: true, content: { "application/json": { schema: UpdateWebhookBody } } },
  },
  responses: {
    200: jsonContent(WebhookSchema, "The updated endpoint (new ETag)"),
    ...apiErrors("not_found", "precondition_failed"),
  },
});

export const updateWebhookHandler: RouteHandler<typeof updateWebhookRoute, AppEnv> = async (c) => {
  const current = await loadEndpoint(c, c.req.valid("param").id);
  const expected = versionFromIfMatch(c, current.id, current.version);
  const set = patchColumns(current, c.req.valid("json"));
  const unit = requestWrite(c).onlyIf(
    rowExists(webhookEndpoints, endpointAtVersion(current.id, expected)),
  );
  unit.audit({
    action: "webhook.updated",
    resourceType: "webhook",
    resourceId: current.id,
    summary: { before: auditView(current), after: auditView({ ...current, ...set }) },
  });
  const updated = unit.write(
    unit.db
      .update(webhookEndpoints)
      .set(set)
      .where(endpointAtVersion(current.id, expected))
      .returning(),
  );
  const [row] = (await unit.commit())(updated);
  if (!row) throw staleWrite();
  c.header("ETag", resourceEtag(row.id, row.version));
  return c.json(toWebhookDto(row), 200);
};
