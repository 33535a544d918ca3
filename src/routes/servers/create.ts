import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { authErrors, commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
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
  security: securityFor("servers:write"),
  middleware: [requireScope("servers:write"), idempotency(), outboundPolicy()] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateServerBody } } },
  },
  responses: {
    201: jsonContent(ServerSchema, "Created (Location, ETag)"),
    409: errorResponse("conflict"),
    ...authErrors,
    403: errorResponse("forbidden", "quota_exceeded"),
    ...commonErrors,
  },
});

export const createServerHandler: RouteHandler<typeof createServerRoute, AppEnv> = async (c) => {
  const b = c.req.valid("json");
  const row = await createFor(c, { ...fromBody(b), tags: b.tags } as ServerInput);
  c.header("Location", `/api/v2/servers/${row.id}`);
  return c.json(toServerDto(row), 201);
};
