import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import type { AppEnv } from "../../env.ts";
import { auditOnly } from "../../lib/mutate.ts";
import { apiErrors, HTTP_URL_PATTERN, jsonContent } from "../../lib/openapi.ts";
import { ApiError } from "../../lib/problem.ts";
import { requireRole, securityFor } from "../../middleware/auth.ts";
import { purge } from "../../services/cache/purge.ts";

const PurgeBody = z
  .object({
    tags: z
      .array(
        z.string().regex(/^[\w:.-]{1,128}$/, "tags are 1–128 chars of letters, digits, _ : . -"),
      )
      .min(1)
      .max(30)
      .optional(),
    urls: z
      .array(z.url({ protocol: /^https?$/ }).openapi({ pattern: HTTP_URL_PATTERN }))
      .min(1)
      .max(30)
      .optional(),
  })
  .strict()
  .refine((b) => b.tags || b.urls, { message: "Send tags or urls" })
  .openapi("CachePurgeRequest", { minProperties: 1, description: "tags, urls or both" });

const PurgeResult = z
  .object({
    local: z.object({
      urls: z.number().int(),
      deleted: z.number().int(),
      tags: z.array(z.string()),
    }),
    global: z.object({
      status: z.enum(["skipped", "purged", "failed"]),
      reason: z.string().optional(),
      error: z.string().optional(),
    }),
  })
  .openapi("CachePurgeResult");

export const purgeRoute = createRoute({
  method: "post",
  path: "/admin/cache/purge",
  tags: ["Admin"],
  operationId: "purgeCache",
  summary:
    "Purge cached responses by tag or URL: locally, and globally when the Cloudflare API is configured",
  description:
    "Purges cached public responses by tag (`docs`, `status`, …) or by URL: from this data centre at once, and from every data centre when the Cloudflare API is configured (otherwise `global` says skipped). A failing Cloudflare API is a 502. Admins only.",
  security: securityFor("admin"),
  middleware: [requireRole("admin")] as const,
  request: { body: { required: true, content: { "application/json": { schema: PurgeBody } } } },
  responses: {
    200: jsonContent(PurgeResult, "Purged (global: purged or skipped)"),
    ...apiErrors("bad_gateway"),
  },
});

export const purgeHandler: RouteHandler<typeof purgeRoute, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  const result = await purge(c.env, c.get("config"), body, c.get("trace").traceparent);
  await auditOnly(c, {
    action: "cache.purged",
    resourceType: "cache",
    summary: { request: body, global: result.global.status },
  });
  if (result.global.status === "failed") {
    throw new ApiError("bad_gateway", {
      detail: `Purged locally; the global purge failed: ${result.global.error}`,
      extensions: { local: result.local, global: result.global },
    });
  }
  return c.json(result, 200);
};
