import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { versionFromIfMatch } from "../../lib/etag.ts";
import { authErrors, commonErrors, errorResponse } from "../../lib/openapi.ts";
import { requireScope, SECURITY } from "../../middleware/auth.ts";
import { invalidateServer } from "../../services/servers/invalidate.ts";
import { auditView, deleteServer } from "../../services/servers/servers.ts";
import { loadServer } from "./access.ts";
import { staleWrite } from "./errors.ts";
import { ServerIdParam } from "./schemas.ts";

export const deleteServerRoute = createRoute({
  method: "delete",
  path: "/servers/{id}",
  tags: ["Servers"],
  operationId: "deleteServer",
  summary: "Delete a server (If-Match honoured)",
  security: SECURITY,
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
  const current = await loadServer(c, c.req.valid("param").id);
  const result = await deleteServer(
    c.get("db"),
    current,
    versionFromIfMatch(c, current.id, current.version),
  );
  if (!result.ok) throw staleWrite();
  await invalidateServer(c.env, current.ownerId, current.id);
  await audit(c, {
    action: "server.deleted",
    resourceType: "server",
    resourceId: current.id,
    summary: { before: auditView(current) },
  });
  return c.body(null, 204);
};
