import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { idempotency } from "../../middleware/idempotency.ts";
import { outboundPolicy } from "../../middleware/outbound-policy.ts";
import type { ServerInput } from "../../services/servers/servers.ts";
import { CreateServerBody, fromBody, ServerSchema, toServerDto } from "./schemas.ts";
import { createFor } from "./writes.ts";

export const createServerRoute = createRoute({
  method: "post",
  path: "/servers",
  tags: ["Servers"],
  operationId: "createServer",
  summary: "Add a server (operators and admins). Supports Idempotency-Key.",
  description:
    "Adds a server: name, host, port, environment, tags, and optionally a health-check URL (public http(s) addresses only) and credentials, stored encrypted and never returned. Names are unique per owner (409). A create past the owner's server quota is a 403 `quota_exceeded`. Send an Idempotency-Key to retry safely: the first answer is replayed for the same key and body. Operators and admins.",
  security: securityFor("servers:write"),
  middleware: [requireScope("servers:write"), idempotency(), outboundPolicy()] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateServerBody } } },
  },
  responses: {
    201: jsonContent(ServerSchema, "Created (Location, ETag)"),
    ...apiErrors("conflict", "quota_exceeded"),
  },
});

export const createServerHandler: RouteHandler<typeof createServerRoute, AppEnv> = async (c) => {
  const b = c.req.valid("json");
  const row = await createFor(c, { ...fromBody(b), tags: b.tags } as ServerInput);
  c.header("Location", `/api/v2/servers/${row.id}`);
  return c.json(toServerDto(row), 201);
};
