import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { cachedJson } from "../../cache/http.ts";
import type { AppEnv } from "../../env.ts";
import { resourceEtag } from "../../lib/etag.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { getServer } from "../../services/servers/servers.ts";
import { scopeOf } from "./access.ts";
import { ServerIdParam, ServerSchema, toServerDto } from "./schemas.ts";

export const getServerRoute = createRoute({
  method: "get",
  path: "/servers/{id}",
  tags: ["Servers"],
  operationId: "getServer",
  summary: "Get a server",
  description:
    "One server by id, with an ETag for conditional requests (If-None-Match → 304). Another owner's server is a 404 unless the caller is an admin.",
  security: securityFor("servers:read"),
  middleware: [requireScope("servers:read")] as const,
  request: { params: ServerIdParam },
  responses: {
    200: jsonContent(ServerSchema, "The server (ETag; If-None-Match → 304)"),
    304: { description: "Not modified" },
    ...apiErrors("not_found"),
  },
});

export const getServerHandler: RouteHandler<typeof getServerRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid("param");
  const scope = scopeOf(c);
  return cachedJson(
    c,
    {
      name: "servers:get",
      key: `${scope.ownerId ?? "all"}:${id}`,
      tags: [`server:${id}`],
      ttlMs: 30_000,
    },
    async () => {
      const row = await getServer(c.get("db"), id, scope);
      if (!row) throw new ApiError("not_found", { detail: "No server with that id" });
      return [toServerDto(row), resourceEtag(row.id, row.version)];
    },
  );
};
