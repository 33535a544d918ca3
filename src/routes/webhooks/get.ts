import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { resourceEtag } from "../../lib/etag.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { loadEndpoint } from "./access.ts";
import { toWebhookDto, WebhookIdParam, WebhookSchema } from "./schemas.ts";

export const getWebhookRoute = createRoute({
  method: "get",
  path: "/webhooks/{id}",
  tags: ["Webhooks"],
  operationId: "getWebhook",
  summary: "Get a webhook endpoint (never its secret)",
  description:
    "Gets one webhook endpoint: its URL, subscribed events, whether it is enabled (and why not), and its failure streak. The signing secret is never returned after creation or rotation.",
  security: securityFor("webhooks:write"),
  middleware: [requireScope("webhooks:write")] as const,
  request: { params: WebhookIdParam },
  responses: {
    200: jsonContent(WebhookSchema, "The endpoint (ETag)"),
    ...apiErrors("not_found"),
  },
});

export const getWebhookHandler: RouteHandler<typeof getWebhookRoute, AppEnv> = async (c) => {
  const row = await loadEndpoint(c, c.req.valid("param").id);
  c.header("ETag", resourceEtag(row.id, row.version));
  c.header("Cache-Control", "private, no-cache");
  return c.json(toWebhookDto(row), 200);
};
