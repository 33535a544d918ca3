import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { outboundPolicy } from "../../middleware/outbound-policy.ts";
import { fromBody, ServerIdParam, ServerSchema, toServerDto, UpdateServerBody } from "./schemas.ts";
import { updateFor } from "./writes.ts";

export const updateServerRoute = createRoute({
  method: "patch",
  path: "/servers/{id}",
  tags: ["Servers"],
  operationId: "updateServer",
  summary: "Change a server. Send If-Match with its ETag to avoid lost updates.",
  description:
    "Changes some of a server's fields. Send the ETag from a read in If-Match: if the server changed since, the answer is a 412 and nothing is written. Renaming to a name the owner already uses is a 409. Operators and admins.",
  security: securityFor("servers:write"),
  middleware: [requireScope("servers:write"), outboundPolicy()] as const,
  request: {
    params: ServerIdParam,
    body: { required: true, content: { "application/json": { schema: UpdateServerBody } } },
  },
  responses: {
    200: jsonContent(ServerSchema, "The updated server (new ETag)"),
    ...apiErrors("not_found", "conflict", "precondition_failed"),
  },
});

export const updateServerHandler: RouteHandler<typeof updateServerRoute, AppEnv> = async (c) => {
  const row = await updateFor(c, c.req.valid("param").id, fromBody(c.req.valid("json")));
  return c.json(toServerDto(row), 200);
};
