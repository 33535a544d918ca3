import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { apiErrors } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { ServerIdParam } from "./schemas.ts";
import { deleteFor } from "./writes.ts";

export const deleteServerRoute = createRoute({
  method: "delete",
  path: "/servers/{id}",
  tags: ["Servers"],
  operationId: "deleteServer",
  summary: "Delete a server (If-Match honoured)",
  description:
    "Deletes a server. If-Match with the ETag from a read guards against deleting a version you have not seen (412). Operators and admins.",
  security: securityFor("servers:write"),
  middleware: [requireScope("servers:write")] as const,
  request: { params: ServerIdParam },
  responses: {
    204: { description: "Deleted" },
    ...apiErrors("not_found", "precondition_failed"),
  },
});

export const deleteServerHandler: RouteHandler<typeof deleteServerRoute, AppEnv> = async (c) => {
  await deleteFor(c, c.req.valid("param").id);
  return c.body(null, 204);
};
