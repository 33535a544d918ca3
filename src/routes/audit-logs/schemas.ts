import { z } from "@hono/zod-openapi";
import type { AuditLogRow } from "../../db/schema.ts";
import { listOf } from "../../lib/pagination.ts";

export const AuditLogSchema = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    created_at: z.string(),
    actor_type: z.enum(["user", "api_key", "system", "anonymous"]),
    actor_id: z.string().nullable(),
    action: z.string().openapi({ example: "api_key.created" }),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    summary: z.record(z.string(), z.unknown()).nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
    sealed: z.boolean().openapi({
      description:
        "Whether the entry is linked into the hash chain yet. Entries are committed with their change and sealed by the sequencer shortly after (normally within a second).",
    }),
    prev_hash: z.string().nullable().openapi({ description: "null until sealed" }),
    hash: z.string().nullable().openapi({ description: "null until sealed" }),
  })
  .openapi("AuditLog");

export const AuditLogListSchema = listOf(AuditLogSchema, "AuditLogList");

export const toAuditDto = (r: AuditLogRow) => ({
  id: r.id,
  seq: r.seq,
  created_at: r.createdAt,
  actor_type: r.actorType,
  actor_id: r.actorId,
  action: r.action,
  resource_type: r.resourceType,
  resource_id: r.resourceId,
  summary: r.summary,
  ip: r.ip,
  user_agent: r.userAgent,
  request_id: r.requestId,
  sealed: r.hash !== null,
  prev_hash: r.prevHash,
  hash: r.hash,
});

export const VerifySchema = z
  .object({
    valid: z.boolean().openapi({ description: "The sealed chain is intact" }),
    checked: z.number().int().openapi({ description: "Sealed entries checked" }),
    first_seq: z.number().int().nullable(),
    last_seq: z.number().int().nullable(),
    unsealed: z.number().int().openapi({
      description: "Newest entries committed but not sealed yet (not covered by `valid`)",
    }),
    broken: z
      .object({
        seq: z.number().int(),
        id: z.string(),
        reason: z.enum(["hash_mismatch", "prev_hash_mismatch", "gap", "unsealed_before_sealed"]),
      })
      .optional(),
    anchor: z
      .object({ archive_id: z.string(), to_seq: z.number().int(), last_hash: z.string() })
      .optional()
      .openapi({
        description:
          "The newest archive to R2: the chain in the database was checked starting from its last hash",
      }),
  })
  .openapi("AuditVerifyReport");
