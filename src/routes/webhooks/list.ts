import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { listEndpoints } from "../../services/webhooks/endpoints.ts";
import { scopeOf } from "./access.ts";
import { ListWebhooksQuery, toWebhookDto, WebhookListSchema } from "./schemas.ts";

export const listWebhooksRoute = createRoute({
  method: "get",
  path: "/webhooks",
  tags: ["Webhooks"],
  operationId: "listWebhooks",
  summary: "List webhook endpoints (yours; every endpoint for admins), newest first",
  description:
    "Lists webhook endpoints, newest first: your own, or every endpoint for admins. Cursor pagination. Secrets are never included.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write")] as const,
  request: { query: ListWebhooksQuery },
  responses: {
    200: jsonContent(WebhookListSchema, "A page of endpoints"),
    ...apiErrors(),
  },
});

export const listWebhooksHandler: RouteHandler<typeof listWebhooksRoute, AppEnv> = async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const before = cursor ? String(decodeCursor(cursor, "-id", 1).k[0]) : undefined;
  const page = await listEndpoints(c.get("db"), scopeOf(c), { limit, before });
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-cache");
  return c.json(
    {
      data: page.rows.map(toWebhookDto),
      next_cursor: page.hasMore && last ? encodeCursor({ s: "-id", k: [last.id] }) : null,
    },
    200,
  );
};
