import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { resourceEtag } from "../../lib/etag.ts";
import { authErrors, commonErrors, errorResponse, jsonContent } from "../../lib/openapi.ts";
import { requirePrincipal, requireScope, SECURITY } from "../../middleware/auth.ts";
import { idempotency } from "../../middleware/idempotency.ts";
import { invalidateServer } from "../../services/servers/invalidate.ts";
import { auditView, createServer } from "../../services/servers/servers.ts";
import { nameTaken } from "./errors.ts";
import { CreateServerBody, ServerSchema, toServerDto } from "./schemas.ts";

export const createServerRoute = createRoute({
  method: "post",
  path: "/servers",
  tags: ["Servers"],
  operationId: "createServer",
  summary: "Add a server (operators and admins). Supports Idempotency-Key.",
  security: SECURITY,
  middleware: [requireScope("servers:write"), idempotency()] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateServerBody } } },
  },
  responses: {
    201: jsonContent(ServerSchema, "Created (Location, ETag)"),
    409: errorResponse("conflict"),
    ...authErrors,
    ...commonErrors,
  },
});

export const createServerHandler: RouteHandler<typeof createServerRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const b = c.req.valid("json");
  const created = await createServer(c.get("db"), await keyringFor(c.get("config")), p.userId, {
    name: b.name,
    host: b.host,
    port: b.port,
    environment: b.environment,
    tags: b.tags,
    healthCheckUrl: b.health_check_url,
    credentials: b.credentials,
  });
  if (!created.ok) throw nameTaken();
  const row = created.value;
  await invalidateServer(c.env, row.ownerId, row.id);
  await audit(c, {
    action: "server.created",
    resourceType: "server",
    resourceId: row.id,
    summary: { after: auditView(row) },
  });
  c.header("Location", `/api/v2/servers/${row.id}`);
  c.header("ETag", resourceEtag(row.id, row.version));
  return c.json(toServerDto(row), 201);
};
