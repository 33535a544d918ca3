import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { cachedJson } from "../../cache/http.ts";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireScope, securityFor } from "../../middleware/auth.ts";
import { listServers, listTag, sortKey } from "../../services/servers/servers.ts";
import { scopeOf } from "./access.ts";
import { ListServersQuery, ServerListSchema, toServerDto } from "./schemas.ts";

export const listServersRoute = createRoute({
  method: "get",
  path: "/servers",
  tags: ["Servers"],
  operationId: "listServers",
  summary:
    "List servers (yours; every server for admins), with filters, sort and cursor pagination",
  description:
    "The caller's servers (every server, for admins), filtered by environment, status, tag or a name search, sorted, and paged with an opaque cursor. The answer carries an ETag: send it back in If-None-Match to get a 304 while nothing changed.",
  security: securityFor("servers:read"),
  middleware: [requireScope("servers:read")] as const,
  request: { query: ListServersQuery },
  responses: {
    200: jsonContent(
      ServerListSchema,
      "A page of servers (ETag; If-None-Match → 304; X-Cache/Cache-Status)",
    ),
    304: { description: "Not modified" },
    ...apiErrors(),
  },
});

export const listServersHandler: RouteHandler<typeof listServersRoute, AppEnv> = async (c) => {
  const { limit, cursor, sort, environment, status, tag, q } = c.req.valid("query");
  // Validate the cursor before the cache: a bad one is the client's error, not a miss.
  const after = cursor ? (decodeCursor(cursor, sort, 2).k as [string, string]) : undefined;
  const scope = scopeOf(c);
  // Never shared across callers: the key starts with the scope (owner id, or "all" for admins).
  const query = [limit, cursor ?? "", sort, environment ?? "", status ?? "", tag ?? "", q ?? ""];
  const key = `${scope.ownerId ?? "all"}:${JSON.stringify(query)}`;
  const route = { name: "servers:list", key, tags: [listTag(scope)], ttlMs: 30_000 };
  return cachedJson(c, route, async () => {
    const filters = { environment, status, tag, q };
    const page = await listServers(c.get("db"), scope, { filters, sort, limit, after });
    const last = page.rows.at(-1);
    const next = page.hasMore && last ? encodeCursor({ s: sort, k: sortKey(last, sort) }) : null;
    return [{ data: page.rows.map(toServerDto), next_cursor: next }];
  });
};
