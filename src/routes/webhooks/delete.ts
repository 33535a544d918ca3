import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { and, eq, inArray } from "drizzle-orm";
import { rowExists } from "../../db/mutation.ts";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { versionFromIfMatch } from "../../lib/etag.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { auditView, endpointAtVersion } from "../../services/webhooks/endpoints.ts";
import { loadEndpoint, staleWrite } from "./access.ts";
import { WebhookIdParam } from "./schemas.ts";

export const deleteWebhookRoute = createRoute({
  method: "delete",
  path: "/webhooks/{id}",
  tags: ["Webhooks"],
  operationId: "deleteWebhook",
  summary: "Delete a webhook endpoint and its delivery log (If-Match honoured)",
  description:
    "Deletes a webhook endpoint and its delivery log. Send If-Match with the endpoint's ETag: a stale one is a 412. Someone else's endpoint is a 404.",
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
  const at = endpointAtVersion(current.id, expected);
  const unit = requestWrite(c).onlyIf(rowExists(webhookEndpoints, at));
  unit.audit({
    action: "webhook.deleted",
    resourceType: "webhook",
    resourceId: current.id,
    summary: { before: auditView(current) },
  });
  // The log goes with the endpoint, explicitly: libSQL connections may not enforce
  // foreign-key cascades. Pending attempts find no delivery and stop.
  const deliveries = unit.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, current.id));
  unit.write(
    unit.db
      .delete(webhookAttempts)
      .where(and(inArray(webhookAttempts.deliveryId, deliveries), unit.precondition)),
  );
  unit.write(
    unit.db
      .delete(webhookDeliveries)
      .where(and(eq(webhookDeliveries.endpointId, current.id), unit.precondition)),
  );
  const deleted = unit.write(
    unit.db.delete(webhookEndpoints).where(at).returning({ id: webhookEndpoints.id }),
  );
  const [row] = (await unit.commit())(deleted);
  if (!row) throw staleWrite();
  return c.body(null, 204);
};
