import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireAuth, requirePrincipal, securityFor } from "../../middleware/auth.ts";
import { listApiKeys } from "../../services/api-keys/api-keys.ts";
import { authorizeList } from "../../services/api-keys/authorize.ts";
import { callerOf, enforce } from "./access.ts";
import { ApiKeyListSchema, ListApiKeysQuery, toApiKeyDto } from "./schemas.ts";

export const listApiKeysRoute = createRoute({
  method: "get",
  path: "/api-keys",
  tags: ["API keys"],
  operationId: "listApiKeys",
  summary: "List your API keys, or (admins) another user's (never their secrets)",
  description:
    "The caller's API keys, or with `owner_id` another user's (admins only): names, prefixes, scopes, limits and last use, never the secrets.",
  security: securityFor(),
  middleware: [requireAuth()] as const,
  request: { query: ListApiKeysQuery },
  responses: {
    200: jsonContent(ApiKeyListSchema, "A page of keys"),
    ...apiErrors(),
  },
});

export const listApiKeysHandler: RouteHandler<typeof listApiKeysRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const { limit, cursor, owner_id } = c.req.valid("query");
  enforce(authorizeList(callerOf(c), owner_id));
  const afterId = cursor ? (decodeCursor(cursor, "id", 1).k[0] as string) : undefined;
  const page = await listApiKeys(c.get("db"), owner_id ?? p.userId, { limit, afterId });
  const last = page.rows.at(-1);
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      data: page.rows.map((k) => toApiKeyDto(k)),
      next_cursor: page.hasMore && last ? encodeCursor({ s: "id", k: [last.id] }) : null,
    },
    200,
  );
};
