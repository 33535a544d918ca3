import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { findUserById } from "../../db/queries/users.ts";
import { SCOPES } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { apiErrors, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireAuth, requirePrincipal, securityFor } from "../../middleware/auth.ts";
import { toUserDto, UserSchema } from "./schemas.ts";

const MeSchema = z
  .object({
    user: UserSchema,
    auth: z.object({
      kind: z.enum(["user", "api_key"]),
      key_id: z.string().nullable(),
      scopes: z.array(z.enum(SCOPES)),
    }),
  })
  .openapi("Me");

export const meRoute = createRoute({
  method: "get",
  path: "/auth/me",
  tags: ["Auth"],
  operationId: "getMe",
  summary: "The authenticated user and how they authenticated",
  description:
    "The caller's account and how the request authenticated: with an access token, or with an API key and that key's effective scopes.",
  security: securityFor(),
  middleware: [requireAuth()] as const,
  responses: { 200: jsonContent(MeSchema, "The caller"), ...apiErrors() },
});

export const meHandler: RouteHandler<typeof meRoute, AppEnv> = async (c) => {
  const p = requirePrincipal(c);
  const user = await findUserById(c.get("db"), p.userId);
  if (!user) throw new ApiError("unauthorized", { detail: "The account no longer exists" });
  c.header("Cache-Control", "private, no-store");
  return c.json(
    {
      user: toUserDto(user),
      auth: { kind: p.kind, key_id: p.kind === "api_key" ? p.keyId : null, scopes: [...p.scopes] },
    },
    200,
  );
};
