import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { backups } from "../../db/schema.ts";
import { nowIso } from "../../lib/ids.ts";
import { CHUNK_BYTES, type SealingKey } from "./envelope.ts";
import {
  backupPrefix,
  type FileEntry,
  fileName,
  MANIFEST_FORMAT,
  type Manifest,
  manifestKey,
} from "./manifest.ts";
import { ident, readSchema, type SchemaSnapshot, type SqlSource, schemaVersion } from "./schema.ts";
import { writeSlice } from "./writer.ts";

/** Rows per D1 query while reading a table. */
export const PAGE_ROWS = 1_000;
/**
 * Rows per object: a larger table is split into parts. A part is never split across
 * invocations, so it must fit in one with the budget below (measured: ~17 s for
 * 50,000 audit rows on a loaded 2-core machine; docs/benchmarks.md, "Backups").
 */
export const PART_ROWS = 50_000;
/**
 * Time one job invocation spends before handing the rest to a continuation job,
 * checked between objects. Queue consumers may run 15 minutes of wall time, but
 * only 30 s of CPU by default, and writing a backup is mostly CPU (JSON, gzip,
 * AES): 10 s plus one part stays inside it.
 */
export const STEP_BUDGET_MS = 10_000;

/** The running job's checkpoint, kept on the backup's row (`progress`). */
export interface Progress {
  /** Which invocation may work on it: a stale or duplicate job finds another number and stops. */
  step: number;
  snapshotAt: string;
  bookmark: string | null;
  schemaVersion: string | null;
  schema: SchemaSnapshot;
  /** Each table's max rowid at the fence: rows above it came later and are not in this backup. */
  fence: Record<string, number>;
  /** Objects written so far. */
  files: FileEntry[];
  /** Where the next object starts. */
  cursor: { table: number; afterRowid: number; part: number };
}

export interface BackupDeps {
  db: Database;
  d1: D1Database;
  bucket: R2Bucket;
  sealing: SealingKey | null;
  pageRows?: number;
  partRows?: number;
  budgetMs?: number;
  /** Test hook: runs after each page read (writes during a backup). */
  afterPage?: (table: string, rows: number) => Promise<void>;
}

export type StepOutcome =
  | { kind: "superseded" }
  | { kind: "continue"; step: number; files: number }
  | { kind: "done"; manifest: Manifest; sizeBytes: number };

/** A session on the primary (or at `bookmark`), so every page reads at or after the fence. */
function session(d1: D1Database, bookmark: string | null): SqlSource {
  if (typeof d1.withSession !== "function") return d1;
  return d1.withSession(bookmark ?? "first-primary");
}

/**
 * Takes the snapshot fence: the schema, every table's max rowid (one batch, so one
 * transaction: the fences of all tables belong to the same instant) and the D1
 * bookmark of that instant.
 */
async function fence(d1: D1Database): Promise<Omit<Progress, "step" | "files" | "cursor">> {
  const s = typeof d1.withSession === "function" ? d1.withSession("first-primary") : null;
  const db: SqlSource = s ?? d1;
  const schema = await readSchema(db);
  const version = await schemaVersion(db);
  const maxes = schema.tables.length
    ? await db.batch(
        schema.tables.map((t) =>
          db.prepare(`select coalesce(max(rowid), 0) as m from ${ident(t.name)}`),
        ),
      )
    : [];
  return {
    snapshotAt: nowIso(),
    bookmark: s?.getBookmark() ?? null,
    schemaVersion: version,
    schema,
    fence: Object.fromEntries(
      schema.tables.map((t, i) => [t.name, (maxes[i]!.results[0] as { m: number }).m]),
    ),
  };
}

/** Saves the checkpoint if this invocation still owns the backup (same step). */
async function save(db: Database, id: string, progress: Progress): Promise<boolean> {
  const updated = await db
    .update(backups)
    .set({ progress: progress as unknown as Record<string, unknown> })
    .where(
      and(
        eq(backups.id, id),
        eq(backups.status, "running"),
        sql`coalesce(json_extract(${backups.progress}, '$.step'), ${progress.step}) = ${progress.step}`,
      ),
    )
    .returning({ id: backups.id })
    .get();
  return Boolean(updated);
}

/**
 * Does up to `budgetMs` of work on backup `id` as invocation `step`: fences the
 * snapshot on the first step, then writes objects from the checkpoint on, saving
 * it after each object (a redelivered job resumes there). Returns `continue` when
 * time ran out (the caller commits the next step and enqueues it), `done` with the
 * manifest written, or `superseded` when another invocation owns the backup.
 */
export async function runBackupStep(
  deps: BackupDeps,
  id: string,
  step: number,
): Promise<StepOutcome> {
  const started = Date.now();
  const { db, d1, bucket, sealing } = deps;
  const pageRows = deps.pageRows ?? PAGE_ROWS;
  const partRows = deps.partRows ?? PART_ROWS;
  const budgetMs = deps.budgetMs ?? STEP_BUDGET_MS;
  const row = await db.select().from(backups).where(eq(backups.id, id)).get();
  if (row?.status !== "running") return { kind: "superseded" };
  let progress = row.progress as unknown as Progress | null;
  if (progress && progress.step !== step) return { kind: "superseded" };
  if (!progress) {
    progress = {
      step,
      ...(await fence(d1)),
      files: [],
      cursor: { table: 0, afterRowid: 0, part: 1 },
    };
    if (!(await save(db, id, progress))) return { kind: "superseded" };
  }
  const source = session(d1, progress.bookmark);
  const tables = progress.schema.tables;
  // Every invocation writes at least one object, so a backup always moves forward.
  let wrote = false;
  while (progress.cursor.table < tables.length) {
    if (wrote && Date.now() - started > budgetMs)
      return { kind: "continue", step: step + 1, files: progress.files.length };
    const { table: t, afterRowid, part }: Progress["cursor"] = progress.cursor;
    const table = tables[t]!.name;
    const name = fileName(table, part);
    const written = await writeSlice(
      source,
      bucket,
      `${backupPrefix(id)}${name}`,
      { table, name, afterRowid, fence: progress.fence[table] ?? 0, maxRows: partRows },
      { pageRows, sealing, afterPage: deps.afterPage },
    );
    progress = {
      ...progress,
      files: [...progress.files.filter((f) => f.name !== name), written.entry],
      cursor: written.full
        ? { table: t, afterRowid: written.lastRowid, part: part + 1 }
        : { table: t + 1, afterRowid: 0, part: 1 },
    };
    if (!(await save(db, id, progress))) return { kind: "superseded" };
    wrote = true;
  }
  const rows = (table: string) =>
    progress.files.filter((f) => f.table === table).reduce((n, f) => n + f.rows, 0);
  const sizeBytes = progress.files.reduce((n, f) => n + f.stored_bytes, 0);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    id,
    schema_version: progress.schemaVersion,
    started_at: row.startedAt,
    snapshot_at: progress.snapshotAt,
    finished_at: nowIso(),
    bookmark: progress.bookmark,
    compression: "gzip",
    encryption: sealing
      ? { algorithm: "AES-256-GCM", key_id: sealing.id, chunk_bytes: CHUNK_BYTES }
      : null,
    size_bytes: sizeBytes,
    tables: tables.map((t) => ({ name: t.name, columns: t.columns, rows: rows(t.name) })),
    files: progress.files,
    schema: { statements: progress.schema.statements, fts: progress.schema.fts },
  };
  const body = JSON.stringify(manifest, null, 2);
  const put = await bucket.put(manifestKey(id), body, {
    httpMetadata: { contentType: "application/json" },
  });
  return { kind: "done", manifest, sizeBytes: sizeBytes + (put?.size ?? body.length) };
}

/** The manifest of backup `id`, or null when it has none (still running, failed, deleted). */
export async function readManifest(bucket: R2Bucket, id: string): Promise<unknown> {
  const object = await bucket.get(manifestKey(id));
  return object ? object.json() : null;
}
