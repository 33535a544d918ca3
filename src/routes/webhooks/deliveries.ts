import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { listDeliveries } from "../../services/webhooks/endpoints.ts";
import { loadEndpoint } from "./access.ts";
import {
  DeliveryListSchema,
  ListDeliveriesQuery,
  toDeliveryDto,
  WebhookIdParam,
} from "./schemas.ts";

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/webhooks/{id}/deliveries",
  tags: ["Webhooks"],
  operationId: "listWebhookDeliveries",
  summary:
    "The endpoint's delivery log, newest first: every attempt with its status code, duration, the start of the response and the error",
  description:
    "The endpoint's delivery log, newest first, with cursor pagination: each delivery with its status, attempts, last status code and error.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write")] as const,
  request: { params: WebhookIdParam, query: ListDeliveriesQuery },
  responses: {
    200: jsonContent(DeliveryListSchema, "A page of deliveries"),
    ...apiErrors("not_found"),
  },
});

export const listDeliveriesHandler: RouteHandler<typeof listDeliveriesRoute, AppEnv> = async (
  c,
) => {
  const endpoint = await loadEndpoint(c, c.req.valid("param").id);
  const { limit, cursor, status, event } = c.req.valid("query");
  const before = cursor ? String(decodeCursor(cursor, "-id", 1).k[0]) : undefined;
  const page = await listDeliveries(c.get("db"), endpoint.id, { limit, before, status, event });
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-cache");
  return c.json(
    {
      data: page.rows.map(toDeliveryDto),
      next_cursor: page.hasMore && last ? encodeCursor({ s: "-id", k: [last.id] }) : null,
    },
    200,
  );
};
