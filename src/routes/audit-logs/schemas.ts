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
    prev_hash: z.string(),
    hash: z.string(),
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
  prev_hash: r.prevHash,
  hash: r.hash,
});

export const VerifySchema = z
  .object({
    valid: z.boolean(),
    checked: z.number().int(),
    first_seq: z.number().int().nullable(),
    last_seq: z.number().int().nullable(),
    broken: z
      .object({
        seq: z.number().int(),
        id: z.string(),
        reason: z.enum(["hash_mismatch", "prev_hash_mismatch", "gap"]),
      })
      .optional(),
  })
  .openapi("AuditVerifyReport");
