import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { queueTestEvent } from "../../services/webhooks/events.ts";
import { endpointDisabled, loadEndpoint } from "./access.ts";
import { QueuedDeliverySchema, WebhookIdParam } from "./schemas.ts";

export const testWebhookRoute = createRoute({
  method: "post",
  path: "/webhooks/{id}/test",
  tags: ["Webhooks"],
  operationId: "testWebhook",
  summary:
    "Send a `webhook.test` event to this endpoint now (queued; 202 with the job and the delivery to watch)",
  description:
    "Sends a webhook.test event to this endpoint now, to check the receiver. Answers 202 with the queued job and the delivery to watch in the delivery log.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write")] as const,
  request: { params: WebhookIdParam },
  responses: {
    202: jsonContent(QueuedDeliverySchema, "Queued (Location: the job)"),
    ...apiErrors("not_found", "conflict"),
  },
});

export const testWebhookHandler: RouteHandler<typeof testWebhookRoute, AppEnv> = async (c) => {
  const endpoint = await loadEndpoint(c, c.req.valid("param").id);
  if (!endpoint.enabled) throw endpointDisabled();
  const unit = requestWrite(c);
  const queued = queueTestEvent(unit, endpoint);
  unit.audit({
    action: "webhook.test_sent",
    resourceType: "webhook",
    resourceId: endpoint.id,
    summary: { event_id: queued.eventId, delivery_id: queued.deliveryId },
  });
  await unit.commit();
  c.header("Location", `/api/v2/jobs/${queued.jobId}`);
  return c.json(
    {
      job_id: queued.jobId,
      status: "queued" as const,
      event_id: queued.eventId,
      delivery_id: queued.deliveryId,
    },
    202,
  );
};
