import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { ENVIRONMENTS, SERVER_STATUSES, type ServerRow } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { createRouter } from "../../lib/create-router.ts";
import { resourceEtag } from "../../lib/etag.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { appendHeader, setHeader } from "../../lib/response-headers.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { idempotency } from "../../middleware/idempotency.ts";
import { outboundPolicy } from "../../middleware/outbound-policy.ts";
import type { ServerInput } from "../../services/servers/servers.ts";
import { listServersByPage } from "../../services/servers/servers.ts";
import { loadServer, scopeOf } from "../servers/access.ts";
import { CreateServerBody, ServerIdParam } from "../servers/schemas.ts";
import { createFor, deleteFor, updateFor } from "../servers/writes.ts";

/**
 * Legacy v1: the same service layer as v2 behind the old contract — bare arrays,
 * `?page=&per_page=` with `X-Total-Count` and RFC 8288 `Link`, and the old field
 * names `hostname` (v2 `host`) and `env` (v2 `environment`). PUT replaces.
 */
export const SUNSET = "Wed, 30 Sep 2027 00:00:00 GMT";
const DEPRECATED_SINCE = Math.floor(Date.parse("2026-11-01T00:00:00Z") / 1000);
const SUCCESSOR = '</api/v2/servers>; rel="successor-version"';

export const V1Server = z
  .object({
    id: z.string(),
    name: z.string(),
    hostname: z.string(),
    port: z.number().int(),
    env: z.enum(ENVIRONMENTS),
    tags: z.array(z.string()),
    status: z.enum(SERVER_STATUSES),
    health_check_url: z.string().nullable(),
    last_checked_at: z.string().nullable(),
    owner_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ServerV1");

const toV1 = (s: ServerRow): z.infer<typeof V1Server> => ({
  id: s.id,
  name: s.name,
  hostname: s.host,
  port: s.port,
  env: s.environment,
  tags: s.tags,
  status: s.status,
  health_check_url: s.healthCheckUrl,
  last_checked_at: s.lastCheckedAt,
  owner_id: s.ownerId,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

const { host, environment, ...rest } = CreateServerBody.shape;
const V1Body = z
  .object({ ...rest, hostname: host, env: environment })
  .strict()
  .openapi("ServerV1Request");
const fromV1 = (b: z.infer<typeof V1Body>) => ({
  name: b.name,
  host: b.hostname,
  port: b.port,
  environment: b.env,
  tags: b.tags,
  healthCheckUrl: b.health_check_url,
  credentials: b.credentials,
});

/** Every v1 response says it is deprecated, when it ends, and where to go. */
const deprecation: MiddlewareHandler<AppEnv> = async function deprecation(c, next) {
  await next();
  setHeader(c, "Deprecation", `@${DEPRECATED_SINCE}`);
  setHeader(c, "Sunset", SUNSET);
  appendHeader(c, "Link", SUCCESSOR);
};

const base = { tags: ["Servers (v1, deprecated)"], deprecated: true as const };
const one = { params: ServerIdParam };
const jsonBody = { body: { required: true, content: { "application/json": { schema: V1Body } } } };

const list = createRoute({
  ...base,
  security: securityFor("servers:read"),
  method: "get",
  path: "/servers",
  operationId: "listServersV1",
  summary: "List servers (v1: bare array, page/per_page, X-Total-Count, Link)",
  description:
    "Deprecated: use GET /api/v2/servers. The caller's servers as a bare array, paged with `page` and `per_page`, the total in X-Total-Count and the neighbouring pages in Link. Every v1 answer carries Deprecation, Sunset and a Link to its successor.",
  middleware: [requireScope("servers:read")] as const,
  request: {
    query: z.object({
      page: z.coerce.number().int().min(1).max(100_000).default(1),
      per_page: z.coerce.number().int().min(1).max(100).default(30),
    }),
  },
  responses: { 200: jsonContent(z.array(V1Server), "Servers"), ...apiErrors() },
});
const get = createRoute({
  ...base,
  security: securityFor("servers:read"),
  method: "get",
  path: "/servers/{id}",
  operationId: "getServerV1",
  summary: "Get a server (v1)",
  description:
    "Deprecated: use GET /api/v2/servers/{id}. One server, with the v1 field names `hostname` and `env`.",
  middleware: [requireScope("servers:read")] as const,
  request: one,
  responses: {
    200: jsonContent(V1Server, "The server"),
    ...apiErrors("not_found"),
  },
});
const create = createRoute({
  ...base,
  security: securityFor("servers:write"),
  method: "post",
  path: "/servers",
  operationId: "createServerV1",
  summary: "Add a server (v1)",
  description:
    "Deprecated: use POST /api/v2/servers. Adds a server from v1 fields (`hostname`, `env`). Supports Idempotency-Key.",
  middleware: [requireScope("servers:write"), idempotency(), outboundPolicy()] as const,
  request: jsonBody,
  responses: {
    201: jsonContent(V1Server, "Created"),
    ...apiErrors("conflict", "quota_exceeded"),
  },
});
const replace = createRoute({
  ...base,
  security: securityFor("servers:write"),
  method: "put",
  path: "/servers/{id}",
  operationId: "replaceServerV1",
  summary: "Replace a server (v1)",
  description:
    "Deprecated: use PATCH /api/v2/servers/{id}. Replaces every field of a server; If-Match guards against overwriting a version you have not seen (412).",
  middleware: [requireScope("servers:write"), outboundPolicy()] as const,
  request: { ...one, ...jsonBody },
  responses: {
    200: jsonContent(V1Server, "Replaced"),
    ...apiErrors("not_found", "conflict", "precondition_failed"),
  },
});
const remove = createRoute({
  ...base,
  security: securityFor("servers:write"),
  method: "delete",
  path: "/servers/{id}",
  operationId: "deleteServerV1",
  summary: "Delete a server (v1)",
  description:
    "Deprecated: use DELETE /api/v2/servers/{id}. Deletes a server; If-Match is honoured (412).",
  middleware: [requireScope("servers:write")] as const,
  request: one,
  responses: {
    204: { description: "Deleted" },
    ...apiErrors("not_found", "precondition_failed"),
  },
});

const router = createRouter();
router.use(deprecation);

export const v1Router = router
  .openapi(list, async (c) => {
    const { page, per_page } = c.req.valid("query");
    const { rows, total } = await listServersByPage(c.get("db"), scopeOf(c), {
      page,
      perPage: per_page,
      filters: {},
    });
    const last = Math.max(1, Math.ceil(total / per_page));
    const link = (p: number, rel: string) =>
      `</api/v1/servers?page=${p}&per_page=${per_page}>; rel="${rel}"`;
    const links = [
      link(1, "first"),
      ...(page > 1 ? [link(Math.min(page - 1, last), "prev")] : []),
      ...(page < last ? [link(page + 1, "next")] : []),
      link(last, "last"),
    ];
    c.header("X-Total-Count", String(total));
    c.header("Link", links.join(", "));
    c.header("Cache-Control", "private, no-cache");
    return c.json(rows.map(toV1), 200);
  })
  .openapi(get, async (c) => {
    const row = await loadServer(c, c.req.valid("param").id);
    c.header("ETag", resourceEtag(row.id, row.version));
    return c.json(toV1(row), 200);
  })
  .openapi(create, async (c) => {
    const row = await createFor(c, fromV1(c.req.valid("json")) as ServerInput, "v1");
    c.header("Location", `/api/v1/servers/${row.id}`);
    return c.json(toV1(row), 201);
  })
  .openapi(replace, async (c) => {
    const b = fromV1(c.req.valid("json"));
    // PUT replaces: optional fields absent from the body are cleared.
    const patch = {
      ...b,
      healthCheckUrl: b.healthCheckUrl ?? null,
      credentials: b.credentials ?? null,
    };
    const row = await updateFor(c, c.req.valid("param").id, patch, "v1");
    return c.json(toV1(row), 200);
  })
  .openapi(remove, async (c) => {
    await deleteFor(c, c.req.valid("param").id, "v1");
    return c.body(null, 204);
  });
