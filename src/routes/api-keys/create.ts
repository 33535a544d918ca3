import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { requestWrite } from "../../lib/mutate.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { requireAuth, requirePrincipal, securityFor } from "../../middleware/auth.ts";
import { insertApiKey, newApiKey } from "../../services/api-keys/api-keys.ts";
import { authorizeCreate } from "../../services/api-keys/authorize.ts";
import { callerOf, enforce } from "./access.ts";
import { CreateApiKeyBody, CreatedApiKeySchema, toCreatedApiKeyDto } from "./schemas.ts";

export const createApiKeyRoute = createRoute({
  method: "post",
  path: "/api-keys",
  tags: ["API keys"],
  operationId: "createApiKey",
  summary: "Create an API key (the secret is shown once)",
  description:
    "Creates an API key for the caller: a name, scopes (narrowed, when used, to what the owner's role allows), and optionally an expiry, allowed client networks, a rate limit, a concurrency cap and mandatory request signing. The key, and its signing secret when signing is on, appear in this answer only; the API keeps a hash.",
  security: securityFor(),
  middleware: [requireAuth()] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: CreateApiKeyBody } } },
  },
  responses: {
    201: jsonContent(CreatedApiKeySchema, "The new key, with its secret"),
    ...apiErrors(),
  },
});

export const createApiKeyHandler: RouteHandler<typeof createApiKeyRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const body = c.req.valid("json");
  // Nobody mints a key wider than the credential they call with (scopes and limits).
  enforce(
    authorizeCreate(callerOf(c), {
      scopes: body.scopes,
      expiresAt: body.expires_at ? new Date(body.expires_at).toISOString() : null,
      allowedCidrs: body.allowed_cidrs ?? null,
      requireSignature: body.require_signature ?? false,
      rateLimitPerMinute: body.rate_limit_per_minute ?? null,
      maxConcurrency: body.max_concurrency ?? null,
    }),
  );
  const created = await newApiKey(await keyringFor(c.get("config")), {
    ownerId: p.userId,
    name: body.name,
    scopes: body.scopes,
    expiresAt: body.expires_at ? new Date(body.expires_at).toISOString() : null,
    rateLimitPerMinute: body.rate_limit_per_minute,
    allowedCidrs: body.allowed_cidrs,
    maxConcurrency: body.max_concurrency,
    requireSignature: body.require_signature,
  });
  const unit = requestWrite(c);
  unit.write(insertApiKey(unit.db, created.row));
  unit.audit({
    action: "api_key.created",
    resourceType: "api_key",
    resourceId: created.row.id,
    summary: {
      after: {
        name: created.row.name,
        scopes: created.row.scopes,
        expires_at: created.row.expiresAt,
      },
    },
  });
  await unit.commit();
  c.header("Location", `/api/v2/api-keys/${created.row.id}`);
  c.header("Cache-Control", "no-store");
  return c.json(toCreatedApiKeyDto(created), 201);
};
