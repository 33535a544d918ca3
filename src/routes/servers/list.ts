import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { bodyEtag, notModified } from "../../lib/etag.ts";
import { authErrors, commonErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, SECURITY } from "../../middleware/auth.ts";
import { listServers, sortKey } from "../../services/servers/servers.ts";
import { scopeOf } from "./access.ts";
import { ListServersQuery, ServerListSchema, toServerDto } from "./schemas.ts";

export const listServersRoute = createRoute({
  method: "get",
  path: "/servers",
  tags: ["Servers"],
  operationId: "listServers",
  summary:
    "List servers (yours; every server for admins), with filters, sort and cursor pagination",
  security: SECURITY,
  middleware: [requireScope("servers:read")] as const,
  request: { query: ListServersQuery },
  responses: {
    200: jsonContent(ServerListSchema, "A page of servers (ETag; If-None-Match → 304)"),
    304: { description: "Not modified" },
    ...authErrors,
    ...commonErrors,
  },
});

export const listServersHandler: RouteHandler<typeof listServersRoute, AppEnv> = async (c) => {
  const { limit, cursor, sort, environment, status, tag, q } = c.req.valid("query");
  const after = cursor ? (decodeCursor(cursor, sort, 2).k as [string, string]) : undefined;
  const page = await listServers(c.var.db, scopeOf(c), {
    filters: { environment, status, tag, q },
    sort,
    limit,
    after,
  });
  const last = page.rows.at(-1);
  const body = {
    data: page.rows.map(toServerDto),
    next_cursor: page.hasMore && last ? encodeCursor({ s: sort, k: sortKey(last, sort) }) : null,
  };
  const etag = await bodyEtag(JSON.stringify(body));
  c.header("ETag", etag);
  c.header("Cache-Control", "private, no-cache");
  if (notModified(c, etag)) return c.body(null, 304);
  return c.json(body, 200);
};
