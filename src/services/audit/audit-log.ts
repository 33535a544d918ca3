import { and, desc, eq, gte, lt, lte, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { type AuditLogRow, auditLogs } from "../../db/schema.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { redact } from "../../observability/redact.ts";
import { type ChainedFields, GENESIS_HASH, hashRow } from "./chain.ts";

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

const MAX_ATTEMPTS = 10;

/**
 * Appends one row to the hash chain. The row's `seq` is head + 1 and `seq` is the
 * primary key, so two concurrent appenders cannot both link to the same head: the
 * loser's INSERT fails, it re-reads the head and tries again. The chain therefore
 * never forks, on D1 or libSQL, without any lock service.
 */
export async function appendAudit(db: Database, entry: AuditEntry): Promise<AuditLogRow> {
  const summary = entry.summary ? (redact(entry.summary) as Record<string, unknown>) : null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const head = await db
      .select({ seq: auditLogs.seq, hash: auditLogs.hash })
      .from(auditLogs)
      .orderBy(desc(auditLogs.seq))
      .limit(1)
      .get();
    const fields: ChainedFields & { actorType: AuditEntry["actorType"] } = {
      seq: (head?.seq ?? 0) + 1,
      id: uuidv7(),
      createdAt: nowIso(),
      actorType: entry.actorType,
      actorId: entry.actorId ?? null,
      action: entry.action,
      resourceType: entry.resourceType,
      resourceId: entry.resourceId ?? null,
      summary,
      ip: entry.ip ?? null,
      userAgent: entry.userAgent?.slice(0, 512) ?? null,
      requestId: entry.requestId ?? null,
      prevHash: head?.hash ?? GENESIS_HASH,
    };
    const row = { ...fields, hash: await hashRow(fields) };
    try {
      await db.insert(auditLogs).values(row);
      return row;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
    }
  }
  throw new Error("audit log append kept losing the race for the chain head");
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
  checked: number;
  first_seq: number | null;
  last_seq: number | null;
  broken?: { seq: number; id: string; reason: "hash_mismatch" | "prev_hash_mismatch" | "gap" };
}

const PAGE = 500;

/**
 * Walks the chain in seq order, recomputing every hash and checking every link.
 * The oldest row present anchors the walk: rows archived to R2 are checked by the
 * archive verifier, which hands over its last hash as `anchorHash`.
 */
export async function verifyAudit(db: Database, anchorHash?: string): Promise<VerifyReport> {
  let checked = 0;
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
      firstSeq ??= row.seq;
      const expectedPrev = prev
        ? prev.hash
        : (anchorHash ?? (row.seq === 1 ? GENESIS_HASH : row.prevHash));
      const report = (reason: NonNullable<VerifyReport["broken"]>["reason"]): VerifyReport => ({
        valid: false,
        checked,
        first_seq: firstSeq,
        last_seq: row.seq,
        broken: { seq: row.seq, id: row.id, reason },
      });
      if (prev && row.seq !== prev.seq + 1) return report("gap");
      if (row.prevHash !== expectedPrev) return report("prev_hash_mismatch");
      if ((await hashRow(row)) !== row.hash) return report("hash_mismatch");
      checked++;
      prev = { seq: row.seq, hash: row.hash };
    }
    if (page.length < PAGE) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  return { valid: true, checked, first_seq: firstSeq, last_seq: prev?.seq ?? null };
}
