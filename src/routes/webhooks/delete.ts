import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { versionFromIfMatch } from "../../lib/etag.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import {
  auditView,
  deleteEndpointStatements,
  endpointExistsAt,
} from "../../services/webhooks/endpoints.ts";
import { loadEndpoint, staleWrite } from "./access.ts";
import { WebhookIdParam } from "./schemas.ts";

export const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/webhooks/{id}",
  tags: ["Webhooks"],
  operationId: "deleteWebhook",
  summary: "Delete a webhook endpoint and its delivery log (If-Match honoured)",
  description:
    "Deletes the endpoint and its delivery log; deliveries still in their retry schedule stop. If-Match honoured (412).",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write")] as const,
  request: { params: WebhookIdParam },
  responses: {
    204: { description: "Deleted" },
    ...apiErrors("not_found", "precondition_failed"),
  },
});

export const deleteWebhookHandler: RouteHandler<typeof deleteWebhookRoute, AppEnv> = async (c) => {
  const current = await loadEndpoint(c, c.req.valid("param").id);
  const expected = versionFromIfMatch(c, current.id, current.version);
  const unit = requestWrite(c).onlyIf(endpointExistsAt(current.id, expected));
  unit.audit({
    action: "webhook.deleted",
    resourceType: "webhook",
    resourceId: current.id,
    summary: { before: auditView(current) },
  });
  // The delivery log goes with the endpoint; pending attempts find no delivery and stop.
  const statements = deleteEndpointStatements(unit.db, current.id, expected, unit.precondition);
  for (const child of statements.children) unit.write(child);
  const deleted = unit.write(statements.endpoint);
  const [row] = (await unit.commit())(deleted);
  if (!row) throw staleWrite();
  return c.body(null, 204);
};
