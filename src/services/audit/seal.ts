import { and, asc, eq, gte, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { auditLogs } from "../../db/schema.ts";
import { GENESIS_HASH, hashRow } from "./chain.ts";

/** Rows read and sealed per round; one UPDATE each, in batches of this size. */
const ROUND = 200;

export interface SealResult {
  sealed: number;
  /** True when unsealed rows were left for another round. */
  more: boolean;
  lastSeq: number | null;
}

/**
 * Seals committed audit entries into the hash chain, oldest first: each gets
 * `prev_hash` = the previous row's `hash` and its own `hash`. Only one caller may
 * run this at a time (the AuditSequencer Durable Object); the `hash is null`
 * condition on every UPDATE makes an accidental second sealer a no-op instead of
 * a fork.
 *
 * Rows are sealed in `seq` order, which is commit order (SQLite assigns `seq`
 * inside the writing transaction, and writers are serialised), so a row that is
 * visible here never gains an unsealed predecessor later.
 */
export async function sealPending(db: Database, maxRounds = 10): Promise<SealResult> {
  let sealed = 0;
  let lastSeq: number | null = null;
  for (let round = 0; round < maxRounds; round++) {
    // One read per round: the newest sealed row (the chain head) and the unsealed
    // rows after it, in seq order. Sealed rows form a prefix, so the head is the
    // last row with a hash and everything after it is unsealed.
    const rows = await db
      .select()
      .from(auditLogs)
      .where(
        gte(
          auditLogs.seq,
          // Walks the primary key backwards past the (few) unsealed rows at the tail.
          sql`coalesce((select ${auditLogs.seq} from ${auditLogs} where ${auditLogs.hash} is not null order by ${auditLogs.seq} desc limit 1), 0)`,
        ),
      )
      .orderBy(asc(auditLogs.seq))
      .limit(ROUND + 1)
      .all();
    const head = rows[0]?.hash ? rows[0] : undefined;
    const pending = head ? rows.slice(1) : rows.slice(0, ROUND);
    if (!pending.length) return { sealed, more: false, lastSeq };
    let prevHash = head?.hash ?? GENESIS_HASH;
    const updates = [];
    for (const row of pending) {
      const hash = await hashRow({ ...row, prevHash });
      updates.push(
        db
          .update(auditLogs)
          .set({ prevHash, hash })
          .where(and(eq(auditLogs.seq, row.seq), isNull(auditLogs.hash))),
      );
      prevHash = hash;
    }
    await db.batch(updates as [(typeof updates)[number], ...typeof updates]);
    sealed += pending.length;
    lastSeq = pending[pending.length - 1]!.seq;
    if (pending.length < ROUND) return { sealed, more: false, lastSeq };
  }
  return { sealed, more: true, lastSeq };
}

export interface SealingLag {
  unsealed: number;
  /** Age of the oldest unsealed entry in seconds (0 when everything is sealed). */
  oldestUnsealedSeconds: number;
}

/** How far sealing is behind: one read on the partial index of unsealed rows. */
export async function sealingLag(db: Database, now = Date.now()): Promise<SealingLag> {
  const row = await db
    .select({
      n: sql<number>`count(*)`,
      oldest: sql<string | null>`min(${auditLogs.createdAt})`,
    })
    .from(auditLogs)
    .where(isNull(auditLogs.hash))
    .get();
  const oldest = row?.oldest ? Date.parse(row.oldest) : null;
  return {
    unsealed: Number(row?.n ?? 0),
    oldestUnsealedSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
  };
}
