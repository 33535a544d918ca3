import { sha256Hex } from "../../lib/encoding.ts";

/** prev_hash of the first row ever written. */
export const GENESIS_HASH = "0".repeat(64);

export interface ChainedFields {
  seq: number;
  id: string;
  createdAt: string;
  actorType: string;
  actorId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  summary: Record<string, unknown> | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  prevHash: string;
}

/** JSON with object keys sorted at every level, so the hash does not depend on key order. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** SHA-256 over every stored field of the row, including the previous row's hash. */
export function hashRow(row: ChainedFields): Promise<string> {
  return sha256Hex(
    canonicalJson({
      seq: row.seq,
      id: row.id,
      created_at: row.createdAt,
      actor_type: row.actorType,
      actor_id: row.actorId,
      action: row.action,
      resource_type: row.resourceType,
      resource_id: row.resourceId,
      summary: row.summary,
      ip: row.ip,
      user_agent: row.userAgent,
      request_id: row.requestId,
      prev_hash: row.prevHash,
    }),
  );
}
