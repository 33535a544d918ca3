import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { resourceEtag, versionFromIfMatch } from "../../lib/etag.ts";
import { authErrors, commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { requireScope, SECURITY } from "../../middleware/auth.ts";
import { invalidateServer } from "../../services/servers/invalidate.ts";
import { auditView, updateServer } from "../../services/servers/servers.ts";
import { loadServer } from "./access.ts";
import { nameTaken, staleWrite } from "./errors.ts";
import { fromBody, ServerIdParam, ServerSchema, toServerDto, UpdateServerBody } from "./schemas.ts";

export const updateServerRoute = createRoute({
  method: "patch",
  path: "/servers/{id}",
  tags: ["Servers"],
  operationId: "updateServer",
  summary: "Change a server. Send If-Match with its ETag to avoid lost updates.",
  security: SECURITY,
  middleware: [requireScope("servers:write")] as const,
  request: {
    params: ServerIdParam,
    body: { required: true, content: { "application/json": { schema: UpdateServerBody } } },
  },
  responses: {
    200: jsonContent(ServerSchema, "The updated server (new ETag)"),
    404: errorResponse("not_found"),
    409: errorResponse("conflict"),
    412: errorResponse("precondition_failed"),
    ...authErrors,
    ...commonErrors,
  },
});

export const updateServerHandler: RouteHandler<typeof updateServerRoute, AppEnv> = async (c) => {
  const current = await loadServer(c, c.req.valid("param").id);
  const expected = versionFromIfMatch(c, current.id, current.version);
  const result = await updateServer(
    c.get("db"),
    await keyringFor(c.get("config")),
    current,
    fromBody(c.req.valid("json")),
    expected,
  );
  if (!result.ok) throw result.error === "name_taken" ? nameTaken() : staleWrite();
  const row = result.value;
  await invalidateServer(c.env, row.ownerId, row.id);
  await audit(c, {
    action: "server.updated",
    resourceType: "server",
    resourceId: row.id,
    summary: { before: auditView(current), after: auditView(row) },
  });
  c.header("ETag", resourceEtag(row.id, row.version));
  return c.json(toServerDto(row), 200);
};
