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
/** Rows per INSERT: D1 binds at most 100 parameters per statement (13 per row). */
const ROWS_PER_INSERT = 7;
const MAX_BATCH = 70;

interface Pending {
  entry: AuditEntry;
  row?: AuditLogRow;
  error?: unknown;
  settled: boolean;
  settle: () => void;
}

interface Queue {
  pending: Pending[];
  leader: boolean;
  waiters: (() => void)[];
}

// One append queue per database handle in this isolate. It only holds entries of
// requests that are still awaiting them; every D1 write is issued by one of those
// requests (the current leader, whose own entry is in the batch), never on behalf
// of a request that has already answered.
const queues = new WeakMap<Database, Queue>();

/**
 * Appends one row to the hash chain, with group commit.
 *
 * Within an isolate, concurrent appends queue up; one waiting request at a time
 * (the leader) reads the chain head once and writes every queued row linked in
 * order, then hands leadership on. Across isolates, `seq` = head + 1 is the
 * primary key, so two writers cannot link to the same head: the loser's INSERT
 * fails, it re-reads the head and re-links its rows. The chain never forks, on
 * D1 or libSQL, and there is no lock service to call.
 */
export async function appendAudit(db: Database, entry: AuditEntry): Promise<AuditLogRow> {
  let q = queues.get(db);
  if (!q) {
    q = { pending: [], leader: false, waiters: [] };
    queues.set(db, q);
  }
  const queue = q;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const item: Pending = { entry, settled: false, settle };
  queue.pending.push(item);
  while (!item.settled) {
    if (!queue.leader) {
      queue.leader = true;
      try {
        await writeBatch(db, queue.pending.splice(0, MAX_BATCH));
      } finally {
        queue.leader = false;
        // Wake everyone still waiting: the first unsettled one leads the next batch.
        for (const wake of queue.waiters.splice(0)) wake();
      }
    } else {
      await new Promise<void>((resolve) => {
        queue.waiters.push(resolve);
        settled.then(resolve);
      });
    }
  }
  if (item.error !== undefined) throw item.error;
  return item.row!;
}

function link(items: Pending[], head: { seq: number; hash: string } | undefined) {
  const rows: AuditLogRow[] = [];
  let prev = head;
  return (async () => {
    for (const { entry } of items) {
      const fields: ChainedFields & { actorType: AuditEntry["actorType"] } = {
        seq: (prev?.seq ?? 0) + 1,
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
        prevHash: prev?.hash ?? GENESIS_HASH,
      };
      const row = { ...fields, hash: await hashRow(fields) };
      rows.push(row);
      prev = row;
    }
    return rows;
  })();
}

async function writeBatch(db: Database, batch: Pending[]): Promise<void> {
  let remaining = batch;
  const done = (items: Pending[], rows?: AuditLogRow[], error?: unknown) => {
    items.forEach((item, i) => {
      if (rows) item.row = rows[i];
      if (error !== undefined) item.error = error;
      item.settled = true;
      item.settle();
    });
  };
  for (let attempt = 0; attempt < MAX_ATTEMPTS && remaining.length; attempt++) {
    const head = await db
      .select({ seq: auditLogs.seq, hash: auditLogs.hash })
      .from(auditLogs)
      .orderBy(desc(auditLogs.seq))
      .limit(1)
      .get();
    const rows = await link(remaining, head);
    try {
      for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
        const chunk = rows.slice(i, i + ROWS_PER_INSERT);
        await db.insert(auditLogs).values(chunk);
        done(remaining.slice(0, chunk.length), chunk);
        remaining = remaining.slice(chunk.length);
      }
    } catch (error) {
      if (!isUniqueViolation(error)) {
        done(remaining, undefined, error);
        return;
      }
      // Another isolate appended first: back off a little and re-link on the new head.
      await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
    }
  }
  if (remaining.length)
    done(
      remaining,
      undefined,
      new Error("audit log append kept losing the race for the chain head"),
    );
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
