import { z } from "@hono/zod-openapi";
import { type ApiKeyRow, SCOPES } from "../../db/schema.ts";
import { CIDR_DESCRIPTION, CIDR_PATTERN, parseCidr } from "../../lib/cidr.ts";
import { withFormatPattern } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";
import { nameSchema } from "../../lib/text.ts";

export const ApiKeyIdParam = z.object({
  id: withFormatPattern(z.uuid({ error: "must be a UUID" })).openapi({
    param: { name: "id", in: "path" },
  }),
});

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ example: "ep_live_a1B2" }),
    scopes: z.array(z.enum(SCOPES)),
    expires_at: z.string().nullable(),
    rate_limit_per_minute: z.number().int().nullable(),
    allowed_cidrs: z.array(z.string()).nullable(),
    max_concurrency: z.number().int().nullable(),
    require_signature: z.boolean(),
    status: z.enum(["active", "expired", "revoked", "rotated"]),
    replaced_by: z.string().nullable(),
    last_used_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("ApiKey");

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z
    .string()
    .openapi({ description: "The secret key. Shown only in this response.", example: "ep_live_…" }),
  signing_secret: z.string().optional().openapi({
    description: "HMAC key for request signing (only when require_signature). Shown only once.",
  }),
}).openapi("CreatedApiKey");

export const ApiKeyListSchema = listOf(ApiKeySchema, "ApiKeyList");

export const ListApiKeysQuery = PaginationQuery.extend({
  owner_id: z
    .uuid({ error: "must be a UUID" })
    .optional()
    .openapi({
      param: { name: "owner_id", in: "query" },
      description:
        "Another user's keys (needs the admin role and the 'admin' scope); default: your own",
    }),
});

const future = withFormatPattern(z.iso.datetime({ offset: true }))
  .refine((v) => Date.parse(v) > Date.now(), { message: "must be in the future" })
  .openapi({
    description:
      "When the key stops working: an RFC 3339 date-time with `Z` or a `±hh:mm` offset that must be in the future. Absent or null: the key never expires.",
  });

export const CreateApiKeyBody = z
  .object({
    name: nameSchema(64).openapi({ example: "CI deploys" }),
    scopes: z
      .array(z.enum(SCOPES))
      .min(1)
      .max(SCOPES.length)
      .refine((s) => new Set(s).size === s.length, { message: "scopes must be unique" })
      .openapi({
        uniqueItems: true,
        description: "Each at most once; only scopes you hold yourself (403 otherwise)",
      }),
    expires_at: future.nullish(),
    rate_limit_per_minute: z.number().int().min(1).max(100_000).nullish(),
    allowed_cidrs: z
      .array(
        z
          .string()
          .refine((c) => parseCidr(c) !== null, { message: "must be an IPv4 or IPv6 CIDR" })
          .openapi({ pattern: CIDR_PATTERN, description: CIDR_DESCRIPTION }),
      )
      .max(50)
      .nullish(),
    max_concurrency: z.number().int().min(1).max(1_000).nullish(),
    require_signature: z.boolean().optional(),
  })
  .strict()
  .openapi("CreateApiKeyRequest");

export const RotateApiKeyBody = z
  .object({
    grace_period_seconds: z.number().int().min(0).max(604_800).default(86_400).openapi({
      description: "How long the old key keeps working (default 1 day, max 7 days)",
    }),
  })
  .strict()
  .openapi("RotateApiKeyRequest");

export function toApiKeyDto(k: ApiKeyRow, now = new Date().toISOString()) {
  const status = k.revokedAt
    ? ("revoked" as const)
    : k.expiresAt && k.expiresAt <= now
      ? ("expired" as const)
      : k.replacedBy
        ? ("rotated" as const)
        : ("active" as const);
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    expires_at: k.expiresAt,
    rate_limit_per_minute: k.rateLimitPerMinute,
    allowed_cidrs: k.allowedCidrs,
    max_concurrency: k.maxConcurrency,
    require_signature: k.requireSignature,
    status,
    replaced_by: k.replacedBy,
    last_used_at: k.lastUsedAt,
    created_at: k.createdAt,
    updated_at: k.updatedAt,
  };
}

/** The one response that carries the secret key (create and rotate). */
export const toCreatedApiKeyDto = (created: {
  row: ApiKeyRow;
  key: string;
  signingSecret: string | null;
}) => ({
  ...toApiKeyDto(created.row),
  key: created.key,
  ...(created.signingSecret ? { signing_secret: created.signingSecret } : {}),
});
