import { and, eq, sql } from "drizzle-orm";
import { insertIf } from "../../db/mutation.ts";
import { type BackupRow, backups } from "../../db/schema.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import type { WriteUnit } from "../../lib/mutate.ts";
import { emitEvent } from "../webhooks/events.ts";
import type { Manifest } from "./manifest.ts";
import { rowCounts } from "./manifest.ts";
import { backupRunning } from "./store.ts";

/** Job types (their definitions live in queues/jobs/backup-*.ts). */
export const BACKUP_RUN_JOB = "backup.run";
export const BACKUP_VERIFY_JOB = "backup.verify";
export const BACKUP_DRILL_JOB = "backup.drill";
export const AUDIT_ARCHIVE_JOB = "audit.archive";

/** The job of step `step` of backup `id`: deterministic, so a step is enqueued once. */
export const runJobId = (id: string, step: number) => `backup:${id}:run:${step}`;

/** What the API, the webhook events and the audit entries say about a backup. */
export function backupView(b: BackupRow) {
  const counts = b.rowCounts ?? null;
  return {
    id: b.id,
    status: b.status,
    trigger: b.trigger,
    started_at: b.startedAt,
    finished_at: b.finishedAt,
    duration_seconds: b.finishedAt
      ? (Date.parse(b.finishedAt) - Date.parse(b.startedAt)) / 1000
      : null,
    size_bytes: b.sizeBytes,
    rows: counts ? Object.values(counts).reduce((n, v) => n + v, 0) : null,
    row_counts: counts,
    schema_version: b.schemaVersion,
    bookmark: b.bookmark,
    key_id: b.keyId,
    error: b.error,
    verification: {
      status: b.verifyStatus ?? null,
      verified_at: b.verifiedAt,
      error: b.verifyError,
    },
  };
}
export type BackupView = ReturnType<typeof backupView>;

/**
 * Adds a new backup to `unit`: its row (`running`) and its first job, only if no
 * other backup is running — one at a time, decided inside the transaction. The
 * caller adds its audit entry (before `write`s, like the job) and commits; the
 * returned slot reads back empty when another backup was running.
 */
export function startBackup(
  unit: WriteUnit,
  { trigger, requestedBy }: { trigger: BackupRow["trigger"]; requestedBy: string | null },
) {
  const id = uuidv7();
  unit.onlyIf(sql`not ${backupRunning()}`);
  const [jobId] = unit.enqueue([
    {
      type: BACKUP_RUN_JOB,
      jobId: runJobId(id, 0),
      ownerId: requestedBy,
      payload: { backup_id: id, step: 0 },
    },
  ]);
  return {
    id,
    jobId: jobId!,
    /** Call after recording the audit entry: the insert is the mutation's write. */
    insert: () =>
      unit.write(
        insertIf(
          unit.db,
          backups,
          { id, status: "running", trigger, requestedBy, startedAt: nowIso() },
          unit.precondition,
        ).returning({ id: backups.id }),
      ),
  };
}

const stepIs = (id: string, step: number) =>
  sql`exists (select 1 from ${backups} where ${backups.id} = ${id} and ${backups.status} = 'running' and coalesce(json_extract(${backups.progress}, '$.step'), 0) = ${step})`;

/** Hands the backup to step `step + 1` and enqueues it, in one batch. */
export function continueBackup(unit: WriteUnit, id: string, step: number, ownerId: string | null) {
  unit.onlyIf(stepIs(id, step));
  unit.enqueue([
    {
      type: BACKUP_RUN_JOB,
      jobId: runJobId(id, step + 1),
      ownerId,
      payload: { backup_id: id, step: step + 1 },
    },
  ]);
  unit.write(
    unit.db
      .update(backups)
      .set({ progress: sql`json_set(${backups.progress}, '$.step', ${step + 1})` })
      .where(and(eq(backups.id, id), stepIs(id, step))),
  );
}

/**
 * Marks the backup succeeded with what its manifest says, records the audit entry
 * and the `backup.completed` event, and queues its verification — all only if
 * this step still owns the backup.
 */
export function completeBackup(
  unit: WriteUnit,
  row: BackupRow,
  step: number,
  manifest: Manifest,
  sizeBytes: number,
) {
  const done: BackupRow = {
    ...row,
    status: "succeeded",
    finishedAt: manifest.finished_at,
    sizeBytes,
    rowCounts: rowCounts(manifest),
    schemaVersion: manifest.schema_version,
    bookmark: manifest.bookmark,
    keyId: manifest.encryption?.key_id ?? null,
    progress: null,
  };
  const view = backupView(done);
  unit.onlyIf(stepIs(row.id, step));
  unit.auditAs({
    actorType: "system",
    action: "backup.completed",
    resourceType: "backup",
    resourceId: row.id,
    summary: { size_bytes: sizeBytes, rows: view.rows, tables: manifest.tables.length },
  });
  unit.enqueue([
    {
      type: BACKUP_VERIFY_JOB,
      jobId: `backup:${row.id}:verify:auto`,
      ownerId: row.requestedBy,
      payload: { backup_id: row.id },
    },
  ]);
  // After the recorded rows: the event's fan-out is a write of its own.
  emitEvent(unit, "backup.completed", view, { ownerId: null });
  unit.write(
    unit.db
      .update(backups)
      .set({
        status: done.status,
        finishedAt: done.finishedAt,
        sizeBytes: done.sizeBytes,
        rowCounts: done.rowCounts,
        schemaVersion: done.schemaVersion,
        bookmark: done.bookmark,
        keyId: done.keyId,
        progress: null,
      })
      .where(and(eq(backups.id, row.id), stepIs(row.id, step))),
  );
  return view;
}

/** Marks a running backup failed, with the audit entry and the `backup.failed` event. */
export function failBackup(unit: WriteUnit, row: BackupRow, error: string) {
  const failed: BackupRow = { ...row, status: "failed", finishedAt: nowIso(), error };
  const running = sql`exists (select 1 from ${backups} where ${backups.id} = ${row.id} and ${backups.status} = 'running')`;
  unit.onlyIf(running);
  unit.auditAs({
    actorType: "system",
    action: "backup.failed",
    resourceType: "backup",
    resourceId: row.id,
    summary: { error: error.slice(0, 200) },
  });
  emitEvent(unit, "backup.failed", backupView(failed), { ownerId: null });
  unit.write(
    unit.db
      .update(backups)
      .set({ status: "failed", finishedAt: failed.finishedAt, error, progress: null })
      .where(and(eq(backups.id, row.id), eq(backups.status, "running"))),
  );
}
