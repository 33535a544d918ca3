import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type AuditLogRow, auditLogs } from "../../db/schema.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { redact } from "../../observability/redact.ts";
import { GENESIS_HASH, hashRow } from "./chain.ts";

export interface AuditEntry {
  actorType: "user" | "api_key" | "system" | "anonymous";
  actorId?: string | null;
  action: string;
  resourceType: string;
  resourceId?: string | null;
  /** Before/after summary. Secret-named keys and e-mail-like strings are redacted. */
  summary?: Record<string, unknown> | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export type NewAuditRow = typeof auditLogs.$inferInsert;

/**
 * The row a mutation commits for `entry`: unsealed (no `seq`, `prev_hash` or
 * `hash` yet). SQLite assigns `seq` inside the mutation's transaction and the
 * sequencer seals the row into the hash chain afterwards, so writers never
 * contend for the chain head.
 */
export function auditRow(entry: AuditEntry): NewAuditRow {
  return {
    id: uuidv7(),
    createdAt: nowIso(),
    actorType: entry.actorType,
    actorId: entry.actorId ?? null,
    action: entry.action,
    resourceType: entry.resourceType,
    resourceId: entry.resourceId ?? null,
    summary: entry.summary ? (redact(entry.summary) as Record<string, unknown>) : null,
    ip: entry.ip ?? null,
    userAgent: entry.userAgent?.slice(0, 512) ?? null,
    requestId: entry.requestId ?? null,
    prevHash: null,
    hash: null,
  };
}

/**
 * Records an audit entry on its own, for events that change nothing else
 * (scheduled clean-up, dead-lettered jobs). A mutation adds its entry to its own
 * batch instead (db/mutation.ts).
 */
export async function recordAudit(db: Database, entry: AuditEntry): Promise<void> {
  await db.insert(auditLogs).values(auditRow(entry));
}

export interface AuditFilters {
  actorId?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  /** Newest first: rows with seq below this. */
  beforeSeq?: number | undefined;
  limit: number;
}

export async function listAudit(
  db: Database,
  f: AuditFilters,
): Promise<{ rows: AuditLogRow[]; hasMore: boolean }> {
  const where: (SQL | undefined)[] = [
    f.actorId ? eq(auditLogs.actorId, f.actorId) : undefined,
    f.action ? eq(auditLogs.action, f.action) : undefined,
    f.resourceType ? eq(auditLogs.resourceType, f.resourceType) : undefined,
    f.resourceId ? eq(auditLogs.resourceId, f.resourceId) : undefined,
    f.since ? gte(auditLogs.createdAt, f.since) : undefined,
    f.until ? lte(auditLogs.createdAt, f.until) : undefined,
    f.beforeSeq ? lt(auditLogs.seq, f.beforeSeq) : undefined,
  ];
  const rows = await db
    .select()
    .from(auditLogs)
    .where(and(...where))
    .orderBy(desc(auditLogs.seq))
    .limit(f.limit + 1)
    .all();
  return { rows: rows.slice(0, f.limit), hasMore: rows.length > f.limit };
}

export interface VerifyReport {
  valid: boolean;
  /** Sealed rows whose hash and link were checked. */
  checked: number;
  first_seq: number | null;
  last_seq: number | null;
  /** Rows committed but not sealed yet (the newest ones); not covered by `valid`. */
  unsealed: number;
  broken?: {
    seq: number;
    id: string;
    reason: "hash_mismatch" | "prev_hash_mismatch" | "gap" | "unsealed_before_sealed";
  };
}

const PAGE = 500;

/**
 * Walks the chain in seq order, recomputing every sealed row's hash and checking
 * every link. Sealed rows form a prefix: an unsealed row followed by a sealed one
 * means a hash was removed. The oldest row present anchors the walk: rows
 * archived to R2 are checked by the archive verifier, which hands over its last
 * hash as `anchorHash`.
 */
export async function verifyAudit(db: Database, anchorHash?: string): Promise<VerifyReport> {
  let checked = 0;
  let unsealed = 0;
  let prev: { seq: number; hash: string } | null = null;
  let firstSeq: number | null = null;
  let afterSeq = 0;
  for (;;) {
    const page = await db
      .select()
      .from(auditLogs)
      .where(afterSeq ? gte(auditLogs.seq, afterSeq + 1) : undefined)
      .orderBy(auditLogs.seq)
      .limit(PAGE)
      .all();
    for (const row of page) {
      const report = (reason: NonNullable<VerifyReport["broken"]>["reason"]): VerifyReport => ({
        valid: false,
        checked,
        first_seq: firstSeq,
        last_seq: row.seq,
        unsealed,
        broken: { seq: row.seq, id: row.id, reason },
      });
      if (row.hash === null || row.prevHash === null) {
        unsealed++;
        continue;
      }
      if (unsealed > 0) return report("unsealed_before_sealed");
      firstSeq ??= row.seq;
      const expectedPrev = prev
        ? prev.hash
        : (anchorHash ?? (row.seq === 1 ? GENESIS_HASH : row.prevHash));
      if (prev && row.seq !== prev.seq + 1) return report("gap");
      if (row.prevHash !== expectedPrev) return report("prev_hash_mismatch");
      if ((await hashRow({ ...row, prevHash: row.prevHash })) !== row.hash)
        return report("hash_mismatch");
      checked++;
      prev = { seq: row.seq, hash: row.hash };
    }
    if (page.length < PAGE) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  return { valid: true, checked, first_seq: firstSeq, last_seq: prev?.seq ?? null, unsealed };
}
