import { z } from "@hono/zod-openapi";
import { ENVIRONMENTS, SERVER_STATUSES, type ServerRow } from "../../db/schema.ts";
import { NON_BLANK, withFormatPattern } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";
import { nameSchema } from "../../lib/text.ts";
import { outboundUrlSchema } from "../../outbound/url-schema.ts";
import { SORTS } from "../../services/servers/servers.ts";

// Labels of 1–63 letters, digits and inner hyphens; the 253-character cap is max() below.
// No look-around, so the same expression serves as the documented pattern in any dialect.
const HOSTNAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export const HostSchema = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .refine(
    (v) => HOSTNAME.test(v) || z.ipv4().safeParse(v).success || z.ipv6().safeParse(v).success,
    {
      message: "must be a hostname, an IPv4 or an IPv6 address",
    },
  )
  .openapi({
    example: "web-1.eu.example.com",
    description: "A host name, an IPv4 or an IPv6 address",
    anyOf: [
      { pattern: HOSTNAME.source },
      { pattern: z.regexes.ipv4.source },
      { pattern: z.regexes.ipv6.source },
    ],
  });

export const TagSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9:_.-]{0,31}$/, "tags are 1–32 chars of a-z 0-9 : _ . - (lower case)")
  .openapi({ example: "eu-west" });

const TagsSchema = z
  .array(TagSchema)
  .max(20, "at most 20 tags")
  .refine((t) => new Set(t).size === t.length, { message: "tags must be unique" })
  .openapi({ uniqueItems: true });

const NameSchema = nameSchema(64).openapi({ example: "web-1" });
const PortSchema = z.number().int().min(1).max(65535).openapi({ example: 443 });
const HealthUrlSchema = outboundUrlSchema(
  "probe",
  "that edgepanel GETs to check the server's health (on demand and every 5 minutes)",
  "https://web-1.eu.example.com/healthz",
).nullable();
const CredentialsSchema = z.string().max(4096).nullable().openapi({
  description: "Write-only. Stored encrypted; never returned.",
  writeOnly: true,
  example: "ssh-ed25519 AAAA…",
});

export const ServerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    environment: z.enum(ENVIRONMENTS),
    tags: z.array(z.string()),
    status: z.enum(SERVER_STATUSES),
    health_check_url: z.string().nullable(),
    last_checked_at: z.string().nullable(),
    has_credentials: z.boolean(),
    owner_id: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("Server");

export type ServerDto = z.infer<typeof ServerSchema>;

export const toServerDto = (s: ServerRow): ServerDto => ({
  id: s.id,
  name: s.name,
  host: s.host,
  port: s.port,
  environment: s.environment,
  tags: s.tags,
  status: s.status,
  health_check_url: s.healthCheckUrl,
  last_checked_at: s.lastCheckedAt,
  has_credentials: s.credentialsEnc !== null,
  owner_id: s.ownerId,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

export const ServerListSchema = listOf(ServerSchema, "ServerList");

export const CreateServerBody = z
  .object({
    name: NameSchema,
    host: HostSchema,
    port: PortSchema,
    environment: z.enum(ENVIRONMENTS),
    tags: TagsSchema.default([]),
    health_check_url: HealthUrlSchema.optional(),
    credentials: CredentialsSchema.optional(),
  })
  .strict()
  .openapi("CreateServerRequest");

export const UpdateServerBody = z
  .object({
    name: NameSchema.optional(),
    host: HostSchema.optional(),
    port: PortSchema.optional(),
    environment: z.enum(ENVIRONMENTS).optional(),
    tags: TagsSchema.optional(),
    health_check_url: HealthUrlSchema.optional(),
    credentials: CredentialsSchema.optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "Send at least one field to change" })
  .openapi("UpdateServerRequest", { minProperties: 1 });

export const ServerIdParam = z.object({
  id: withFormatPattern(z.uuid({ error: "must be a UUID" })).openapi({
    param: { name: "id", in: "path" },
  }),
});

export const ListServersQuery = PaginationQuery.extend({
  environment: z.enum(ENVIRONMENTS).optional(),
  status: z.enum(SERVER_STATUSES).optional(),
  tag: TagSchema.optional(),
  q: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: "substring of name or host (case-insensitive)", pattern: NON_BLANK }),
  sort: z.enum(SORTS).default("-created_at"),
});

/** Maps a validated API body onto the service's input. */
export const fromBody = (b: Partial<z.infer<typeof CreateServerBody>>) => ({
  name: b.name,
  host: b.host,
  port: b.port,
  environment: b.environment,
  tags: b.tags,
  healthCheckUrl: b.health_check_url,
  credentials: b.credentials,
});
