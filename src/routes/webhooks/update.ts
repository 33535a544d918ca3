import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { resourceEtag, versionFromIfMatch } from "../../lib/etag.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { outboundPolicy } from "../../middleware/outbound-policy.ts";
import {
  auditView,
  endpointExistsAt,
  patchColumns,
  updateEndpointIfAt,
} from "../../services/webhooks/endpoints.ts";
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
    "Changes the URL, event types or description, or turns the endpoint off and on. Re-enabling clears the failure streak of an endpoint edgepanel disabled. If-Match with the ETag from a read guards against lost updates (412).",
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
  const unit = requestWrite(c).onlyIf(endpointExistsAt(current.id, expected));
  unit.audit({
    action: "webhook.updated",
    resourceType: "webhook",
    resourceId: current.id,
    summary: { before: auditView(current), after: auditView({ ...current, ...set }) },
  });
  const updated = unit.write(updateEndpointIfAt(unit.db, current.id, expected, set));
  const [row] = (await unit.commit())(updated);
  if (!row) throw staleWrite();
  c.header("ETag", resourceEtag(row.id, row.version));
  return c.json(toWebhookDto(row), 200);
};
