import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type BackupDrillRow, type BackupRow, backupDrills, backups } from "../../db/schema.ts";
import { nowIso } from "../../lib/ids.ts";

/** A backup still `running` after this long lost its job; it stops blocking new ones and is failed by the clean-up. */
export const STALE_RUNNING_MS = 6 * 3_600_000;

/** `exists` a backup that is running and not stale: a new one must wait. */
export const backupRunning = (now = Date.now()) =>
  sql`exists (select 1 from ${backups} where ${backups.status} = 'running' and ${backups.startedAt} > ${nowIso(now - STALE_RUNNING_MS)})`;

export const getBackup = (db: Database, id: string) =>
  db.select().from(backups).where(eq(backups.id, id)).get();

/** Newest first, keyset on (started_at, id). */
export async function listBackups(
  db: Database,
  limit: number,
  before?: { startedAt: string; id: string },
): Promise<{ rows: BackupRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(backups)
    .where(
      before
        ? or(
            lt(backups.startedAt, before.startedAt),
            and(eq(backups.startedAt, before.startedAt), lt(backups.id, before.id)),
          )
        : undefined,
    )
    .orderBy(desc(backups.startedAt), desc(backups.id))
    .limit(limit + 1)
    .all();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** The newest backup that succeeded and passed verification (the RPO's reference). */
export const newestVerified = (db: Database) =>
  db
    .select()
    .from(backups)
    .where(and(eq(backups.status, "succeeded"), eq(backups.verifyStatus, "passed")))
    .orderBy(desc(backups.startedAt))
    .limit(1)
    .get();

/** The newest successful backup, verified or not (what a drill restores). */
export const newestSucceeded = (db: Database) =>
  db
    .select()
    .from(backups)
    .where(eq(backups.status, "succeeded"))
    .orderBy(desc(backups.startedAt))
    .limit(1)
    .get();

export const latestDrill = (db: Database): Promise<BackupDrillRow | undefined> =>
  db
    .select()
    .from(backupDrills)
    .where(inArray(backupDrills.status, ["passed", "failed"]))
    .orderBy(desc(backupDrills.startedAt))
    .limit(1)
    .get();

export async function listDrills(
  db: Database,
  limit: number,
  before?: { startedAt: string; id: string },
): Promise<{ rows: BackupDrillRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(backupDrills)
    .where(
      before
        ? or(
            lt(backupDrills.startedAt, before.startedAt),
            and(eq(backupDrills.startedAt, before.startedAt), lt(backupDrills.id, before.id)),
          )
        : undefined,
    )
    .orderBy(desc(backupDrills.startedAt), desc(backupDrills.id))
    .limit(limit + 1)
    .all();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** Stale running backups (their job is gone): marked failed so retention may delete them. */
export const failStale = (db: Database, now = Date.now()) =>
  db
    .update(backups)
    .set({ status: "failed", error: "abandoned: no progress", finishedAt: nowIso(now) })
    .where(
      and(
        eq(backups.status, "running"),
        lt(backups.startedAt, nowIso(now - STALE_RUNNING_MS)),
        isNull(backups.finishedAt),
      ),
    )
    .returning({ id: backups.id });
