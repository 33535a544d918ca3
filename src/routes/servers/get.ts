import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { notModified, resourceEtag } from "../../lib/etag.ts";
import { authErrors, commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { requireScope, SECURITY } from "../../middleware/auth.ts";
import { loadServer } from "./access.ts";
import { ServerIdParam, ServerSchema, toServerDto } from "./schemas.ts";

export const getServerRoute = createRoute({
  method: "get",
  path: "/servers/{id}",
  tags: ["Servers"],
  operationId: "getServer",
  summary: "Get a server",
  security: SECURITY,
  middleware: [requireScope("servers:read")] as const,
  request: { params: ServerIdParam },
  responses: {
    200: jsonContent(ServerSchema, "The server (ETag; If-None-Match → 304)"),
    304: { description: "Not modified" },
    404: errorResponse("not_found"),
    ...authErrors,
    ...commonErrors,
  },
});

export const getServerHandler: RouteHandler<typeof getServerRoute, AppEnv> = async (c) => {
  const row = await loadServer(c, c.req.valid("param").id);
  const etag = resourceEtag(row.id, row.version);
  c.header("ETag", etag);
  c.header("Cache-Control", "private, no-cache");
  if (notModified(c, etag)) return c.body(null, 304);
  return c.json(toServerDto(row), 200);
};
