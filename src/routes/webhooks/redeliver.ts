import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { getDelivery } from "../../services/webhooks/endpoints.ts";
import { queueDelivery } from "../../services/webhooks/events.ts";
import { endpointDisabled, loadEndpoint } from "./access.ts";
import { DeliveryIdParam, QueuedDeliverySchema } from "./schemas.ts";

export const redeliverRoute = createRoute({
  method: "post",
  path: "/webhooks/{id}/deliveries/{delivery_id}/redeliver",
  tags: ["Webhooks"],
  operationId: "redeliverWebhook",
  summary:
    "Send a finished delivery's event again (a new delivery with the same webhook-id and body, signed anew; 202 with its job)",
  description:
    "Sends a finished delivery's event again: a new delivery with the same webhook-id and body, signed anew. Answers 202 with the queued job.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write")] as const,
  request: { params: DeliveryIdParam },
  responses: {
    202: jsonContent(QueuedDeliverySchema, "Queued (Location: the job)"),
    ...apiErrors("not_found", "conflict"),
  },
});

export const redeliverHandler: RouteHandler<typeof redeliverRoute, AppEnv> = async (c) => {
  const { id, delivery_id } = c.req.valid("param");
  const endpoint = await loadEndpoint(c, id);
  const original = await getDelivery(c.get("db"), endpoint.id, delivery_id);
  if (!original) throw new ApiError("not_found", { detail: "No delivery with that id" });
  if (original.status === "pending")
    throw new ApiError("conflict", {
      detail: "This delivery is still being retried; redeliver it once it has succeeded or failed",
    });
  if (!endpoint.enabled) throw endpointDisabled();
  const unit = requestWrite(c);
  const queued = queueDelivery(unit, {
    eventId: original.eventId,
    eventType: original.eventType,
    endpointId: endpoint.id,
    ownerId: endpoint.ownerId,
    redeliveryOf: original.id,
  });
  unit.audit({
    action: "webhook.redelivered",
    resourceType: "webhook",
    resourceId: endpoint.id,
    summary: { delivery_id: queued.deliveryId, redelivery_of: original.id },
  });
  await unit.commit();
  c.header("Location", `/api/v2/jobs/${queued.jobId}`);
  return c.json(
    {
      job_id: queued.jobId,
      status: "queued" as const,
      event_id: original.eventId,
      delivery_id: queued.deliveryId,
    },
    202,
  );
};
