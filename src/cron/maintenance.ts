import { type SQL, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { nowIso } from "../lib/ids.ts";
import { deleteOldExports, EXPORT_KEEP_MS } from "../services/submissions/export.ts";
import { deleteExpired } from "../services/submissions/store.ts";

const DAY = 24 * 60 * 60 * 1000;
/** Status-page history older than this is deleted (the page shows 90 days). */
const STATUS_KEEP_DAYS = 100;
/** Rows per DELETE and DELETEs per table per run: a run never exceeds the Worker's limits. */
const BATCH = 500;
const MAX_ROUNDS = 20;

async function deleteInBatches(db: Database, table: string, where: SQL): Promise<number> {
  let total = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const rows = await db.all<{ n: number }>(
      sql`delete from ${sql.identifier(table)} where rowid in (select rowid from ${sql.identifier(table)} where ${where} limit ${BATCH}) returning 1 as n`,
    );
    total += rows.length;
    if (rows.length < BATCH) break;
  }
  return total;
}

/**
 * `0 4 * * *`: deletes what has expired, in bounded batches:
 * refresh tokens past expiry (or revoked > 7 days ago), API keys revoked or expired
 * more than 30 days ago, expired idempotency records, finished jobs and outbox rows
 * older than 30 days, webhook delivery logs older than 30 days, and (given the FILES
 * bucket) submissions older than the retention period with their files, and export
 * files older than a day. Returns the
 * count per table.
 */
export async function runMaintenance(
  db: Database,
  now = Date.now(),
  submissions?: { files: R2Bucket; retentionDays: number },
) {
  const at = (ms: number) => nowIso(now - ms);
  // Submissions past SUBMISSION_RETENTION_DAYS, with their files (bounded batches).
  const expired = submissions
    ? await deleteExpired(db, submissions.files, at(submissions.retentionDays * DAY))
    : { rows: 0, files: 0 };
  const exports = submissions
    ? await deleteOldExports(submissions.files, new Date(now - EXPORT_KEEP_MS))
    : 0;
  return {
    submissions: expired.rows,
    submission_files: expired.files,
    submission_exports: exports,
    refresh_tokens: await deleteInBatches(
      db,
      "refresh_tokens",
      sql`expires_at < ${nowIso(now)} or revoked_at < ${at(7 * DAY)}`,
    ),
    api_keys: await deleteInBatches(
      db,
      "api_keys",
      sql`revoked_at < ${at(30 * DAY)} or expires_at < ${at(30 * DAY)}`,
    ),
    idempotency_keys: await deleteInBatches(
      db,
      "idempotency_keys",
      sql`expires_at < ${nowIso(now)}`,
    ),
    jobs: await deleteInBatches(
      db,
      "jobs",
      sql`status in ('succeeded', 'dead') and finished_at < ${at(30 * DAY)}`,
    ),
    email_outbox: await deleteInBatches(db, "email_outbox", sql`created_at < ${at(30 * DAY)}`),
    // Webhook delivery logs are kept 30 days: attempts, then deliveries, then events
    // left without deliveries (children first: libSQL may not cascade).
    webhook_attempts: await deleteInBatches(
      db,
      "webhook_attempts",
      sql`delivery_id in (select id from webhook_deliveries where created_at < ${at(30 * DAY)})`,
    ),
    webhook_deliveries: await deleteInBatches(
      db,
      "webhook_deliveries",
      sql`created_at < ${at(30 * DAY)}`,
    ),
    // The status page shows 90 days; a few more are kept for late roll-ups.
    component_checks: await deleteInBatches(
      db,
      "component_checks",
      sql`checked_at < ${at(STATUS_KEEP_DAYS * DAY)}`,
    ),
    probe_daily: await deleteInBatches(
      db,
      "probe_daily",
      sql`day < ${at(STATUS_KEEP_DAYS * DAY).slice(0, 10)}`,
    ),
    webhook_events: await deleteInBatches(
      db,
      "webhook_events",
      sql`created_at < ${at(30 * DAY)} and not exists (select 1 from webhook_deliveries d where d.event_id = webhook_events.id)`,
    ),
  };
}
