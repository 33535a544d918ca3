import { and, inArray, ne } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { backups } from "../../db/schema.ts";
import { nowIso } from "../../lib/ids.ts";
import { backupPrefix } from "./manifest.ts";
import { retained } from "./retention.ts";
import { failStale } from "./store.ts";

/** R2 deletes up to 1,000 keys per call; listing pages are as large. */
const R2_BATCH = 1_000;
/** Backups deleted per nightly run: bounded work, and the next night continues. */
export const MAX_DELETIONS_PER_RUN = 50;
/** Failed backups are kept this long for diagnosis, then deleted. */
const FAILED_KEEP_MS = 7 * 86_400_000;

/** Deletes every object under `backups/{id}/`, a listing page (≤ 1,000 keys) per call. */
export async function deleteBackupObjects(bucket: R2Bucket, id: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await bucket.list({ prefix: backupPrefix(id), limit: R2_BATCH });
    if (!page.objects.length) return deleted;
    await bucket.delete(page.objects.map((o) => o.key));
    deleted += page.objects.length;
    if (!page.truncated) return deleted;
  }
}

export interface RetentionOutcome {
  kept: number;
  deleted: string[];
  objects: number;
  abandoned: number;
}

/**
 * The nightly retention: failed backups older than a week and succeeded backups
 * outside the GFS set (7 daily, 4 weekly, 12 monthly) are deleted — objects first,
 * then the row — at most {@link MAX_DELETIONS_PER_RUN} per run. A running backup is
 * never touched.
 */
export async function applyRetention(
  db: Database,
  bucket: R2Bucket,
  now = Date.now(),
): Promise<RetentionOutcome> {
  const abandoned = (await failStale(db, now)).length;
  const finished = await db
    .select({ id: backups.id, status: backups.status, startedAt: backups.startedAt })
    .from(backups)
    .where(ne(backups.status, "running"))
    .all();
  const succeeded = finished.filter((b) => b.status === "succeeded");
  const keep = retained(
    succeeded.map((b) => ({ id: b.id, at: b.startedAt })),
    now,
  );
  const doomed = finished
    .filter((b) =>
      b.status === "succeeded" ? !keep.has(b.id) : b.startedAt < nowIso(now - FAILED_KEEP_MS),
    )
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1))
    .slice(0, MAX_DELETIONS_PER_RUN);
  let objects = 0;
  for (const b of doomed) objects += await deleteBackupObjects(bucket, b.id);
  if (doomed.length)
    await db.delete(backups).where(
      and(
        inArray(
          backups.id,
          doomed.map((b) => b.id),
        ),
        ne(backups.status, "running"),
      ),
    );
  return { kept: keep.size, deleted: doomed.map((b) => b.id), objects, abandoned };
}
