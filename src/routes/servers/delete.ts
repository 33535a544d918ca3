import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { authErrors, commonErrors, errorResponse } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { ServerIdParam } from "./schemas.ts";
import { deleteFor } from "./writes.ts";

export const deleteServerRoute = createRoute({
  method: "delete",
  path: "/servers/{id}",
  tags: ["Servers"],
  operationId: "deleteServer",
  summary: "Delete a server (If-Match honoured)",
  security: securityFor("servers:write"),
  middleware: [requireScope("servers:write")] as const,
  request: { params: ServerIdParam },
  responses: {
    204: { description: "Deleted" },
    404: errorResponse("not_found"),
    412: errorResponse("precondition_failed"),
    ...authErrors,
    ...commonErrors,
  },
});

export const deleteServerHandler: RouteHandler<typeof deleteServerRoute, AppEnv> = async (c) => {
  await deleteFor(c, c.req.valid("param").id);
  return c.body(null, 204);
};
