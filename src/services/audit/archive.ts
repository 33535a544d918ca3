import { desc, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type AuditArchiveRow, auditArchives } from "../../db/schema.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import type { WriteUnit } from "../../lib/mutate.ts";
import type { SealingKey } from "../backups/envelope.ts";
import { type FileEntry, FileEntrySchema } from "../backups/manifest.ts";
import { IntegrityError, r2Source, readObject } from "../backups/objects.ts";
import { writeSlice } from "../backups/writer.ts";
import { GENESIS_HASH, hashRow } from "./chain.ts";

/** Audit entries older than this move to R2. */
export const ARCHIVE_AFTER_DAYS = 90;
/** Rows per archive object (and so per invocation's read-back). */
export const ARCHIVE_MAX_ROWS = 50_000;
/** Rows per DELETE: bounded statements, each a short write. */
export const DELETE_BATCH = 500;

export const archiveKey = (month: string, fromSeq: number, toSeq: number) =>
  `audit/${month.slice(0, 4)}/${month.slice(5, 7)}/${fromSeq}-${toSeq}.ndjson.gz`;
export const archiveManifestKey = (key: string) => key.replace(/\.ndjson\.gz$/, ".manifest.json");

export interface ArchiveDeps {
  db: Database;
  d1: D1Database;
  bucket: R2Bucket;
  sealing: SealingKey | null;
  keys: ReadonlyMap<string, CryptoKey>;
  now?: number;
  maxRows?: number;
}

/** The newest archive: its last hash anchors the chain of the rows still in D1. */
export const latestArchive = (db: Database): Promise<AuditArchiveRow | undefined> =>
  db.select().from(auditArchives).orderBy(desc(auditArchives.toSeq)).limit(1).get();

/** Deletes archived rows (seq ≤ `toSeq`) in bounded batches; returns how many went. */
export async function deleteArchived(d1: D1Database, toSeq: number, batch = DELETE_BATCH) {
  let deleted = 0;
  for (;;) {
    const r = await d1
      .prepare(
        "delete from audit_logs where seq in (select seq from audit_logs where seq <= ?1 order by seq limit ?2)",
      )
      .bind(toSeq, batch)
      .run();
    deleted += r.meta.changes;
    if (r.meta.changes < batch) return deleted;
  }
}

/**
 * Finds the next segment to archive: the oldest rows, contiguous in seq, all
 * sealed, created before the cut-off and in the same calendar month (UTC) as the
 * first, at most `maxRows`. Null when the oldest row is too young or unsealed.
 */
async function nextSegment(d1: D1Database, cutoff: string, maxRows: number) {
  const first = await d1
    .prepare("select seq, created_at, hash from audit_logs order by seq limit 1")
    .first<{ seq: number; created_at: string; hash: string | null }>();
  if (!first || first.hash === null || first.created_at >= cutoff) return null;
  const month = first.created_at.slice(0, 7);
  const next = new Date(`${month}-01T00:00:00.000Z`);
  next.setUTCMonth(next.getUTCMonth() + 1);
  const bound = next.toISOString() < cutoff ? next.toISOString() : cutoff;
  // The first row that may not go with this segment ends it.
  const stop = await d1
    .prepare(
      "select min(seq) as s from audit_logs where seq > ?1 and (created_at >= ?2 or hash is null)",
    )
    .bind(first.seq, bound)
    .first<{ s: number | null }>();
  const max = await d1.prepare("select max(seq) as m from audit_logs").first<{ m: number }>();
  const toSeq = Math.min(stop?.s != null ? stop.s - 1 : max!.m, first.seq + maxRows - 1);
  return { month, fromSeq: first.seq, toSeq };
}

interface ArchivedRow {
  seq: number;
  id: string;
  created_at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  summary: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * Reads an archive object back and checks it against its manifest entry, then
 * re-walks its hash chain from `prevHash`: every row's hash is recomputed and
 * linked. Returns the first and last hash; throws on any difference.
 */
export async function verifyArchiveObject(
  bucket: R2Bucket,
  key: string,
  entry: FileEntry,
  keys: ReadonlyMap<string, CryptoKey> | null,
  prevHash: string,
): Promise<{
  first: string;
  last: string;
  fromSeq: number;
  toSeq: number;
  fromAt: string;
  toAt: string;
}> {
  let expected = prevHash;
  let first: ArchivedRow | undefined;
  let last: ArchivedRow | undefined;
  await readObject(r2Source(bucket), key, entry, {
    keys,
    onLine: async (line) => {
      const r = JSON.parse(line) as ArchivedRow;
      if (last && r.seq !== last.seq + 1)
        throw new IntegrityError(`${key}: gap before seq ${r.seq}`);
      if (r.prev_hash !== expected)
        throw new IntegrityError(`${key}: seq ${r.seq} does not link to the previous hash`);
      const hash = await hashRow({
        seq: r.seq,
        id: r.id,
        createdAt: r.created_at,
        actorType: r.actor_type,
        actorId: r.actor_id,
        action: r.action,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        summary: r.summary === null ? null : (JSON.parse(r.summary) as Record<string, unknown>),
        ip: r.ip,
        userAgent: r.user_agent,
        requestId: r.request_id,
        prevHash: r.prev_hash,
      });
      if (hash !== r.hash) throw new IntegrityError(`${key}: seq ${r.seq} hash mismatch`);
      expected = r.hash;
      first ??= r;
      last = r;
    },
  });
  if (!first || !last) throw new IntegrityError(`${key}: empty archive`);
  return {
    first: first.hash,
    last: last.hash,
    fromSeq: first.seq,
    toSeq: last.seq,
    fromAt: first.created_at,
    toAt: last.created_at,
  };
}

export interface ArchiveOutcome {
  archive: AuditArchiveRow;
  deleted: number;
}

/**
 * Archives one segment of audit entries older than {@link ARCHIVE_AFTER_DAYS}:
 * writes it to R2 (gzip NDJSON, encrypted like backups), reads it back and checks
 * sizes, checksums and the hash chain, records the archive (with the audit entry
 * from `audit`) in one batch, and only then deletes the rows from D1 in bounded
 * batches. Rows an interrupted run archived but did not delete are deleted first.
 * Returns null when nothing is old enough.
 */
export async function archiveSegment(
  deps: ArchiveDeps,
  audit: () => WriteUnit,
): Promise<ArchiveOutcome | null> {
  const { db, d1, bucket, sealing, keys } = deps;
  const now = deps.now ?? Date.now();
  const previous = await latestArchive(db);
  let deleted = previous ? await deleteArchived(d1, previous.toSeq) : 0;
  const cutoff = nowIso(now - ARCHIVE_AFTER_DAYS * 86_400_000);
  const segment = await nextSegment(d1, cutoff, deps.maxRows ?? ARCHIVE_MAX_ROWS);
  if (!segment) return null;
  const firstRow = await d1
    .prepare("select prev_hash from audit_logs where seq = ?1")
    .bind(segment.fromSeq)
    .first<{ prev_hash: string }>();
  const prevHash =
    previous?.lastHash ?? (segment.fromSeq === 1 ? GENESIS_HASH : firstRow!.prev_hash);
  const key = archiveKey(segment.month, segment.fromSeq, segment.toSeq);
  const name = key.slice(key.lastIndexOf("/") + 1);
  const written = await writeSlice(
    d1,
    bucket,
    key,
    {
      table: "audit_logs",
      name,
      afterRowid: segment.fromSeq - 1,
      fence: segment.toSeq,
      maxRows: segment.toSeq - segment.fromSeq + 1,
    },
    { pageRows: 1_000, sealing },
  );
  const chain = await verifyArchiveObject(
    bucket,
    key,
    FileEntrySchema.parse(written.entry),
    sealing ? keys : null,
    prevHash,
  );
  if (chain.fromSeq !== segment.fromSeq || chain.toSeq !== segment.toSeq)
    throw new IntegrityError(
      `${key}: holds ${chain.fromSeq}–${chain.toSeq}, expected ${segment.fromSeq}–${segment.toSeq}`,
    );
  const archive: AuditArchiveRow = {
    id: uuidv7(now),
    key,
    fromSeq: segment.fromSeq,
    toSeq: segment.toSeq,
    fromCreatedAt: chain.fromAt,
    toCreatedAt: chain.toAt,
    rows: written.entry.rows,
    prevHash,
    firstHash: chain.first,
    lastHash: chain.last,
    sizeBytes: written.entry.stored_bytes,
    sha256: written.entry.stored_sha256,
    keyId: sealing?.id ?? null,
    createdAt: nowIso(),
  };
  await bucket.put(
    archiveManifestKey(key),
    JSON.stringify(
      {
        format: "edgepanel-audit-archive/1",
        from_seq: archive.fromSeq,
        to_seq: archive.toSeq,
        from_created_at: archive.fromCreatedAt,
        to_created_at: archive.toCreatedAt,
        rows: archive.rows,
        prev_hash: prevHash,
        first_hash: archive.firstHash,
        last_hash: archive.lastHash,
        encryption: sealing ? { algorithm: "AES-256-GCM", key_id: sealing.id } : null,
        file: written.entry,
      },
      null,
      2,
    ),
    { httpMetadata: { contentType: "application/json" } },
  );
  const unit = audit();
  unit.auditAs({
    actorType: "system",
    action: "audit.archived",
    resourceType: "audit_archive",
    resourceId: archive.id,
    summary: { key, from_seq: archive.fromSeq, to_seq: archive.toSeq, rows: archive.rows },
  });
  unit.write(db.insert(auditArchives).values(archive));
  await unit.commit();
  deleted += await deleteArchived(d1, archive.toSeq);
  return { archive, deleted };
}

/** Archives, newest first, keyset on to_seq. */
export async function listArchives(db: Database, limit: number, beforeSeq?: number) {
  const rows = await db
    .select()
    .from(auditArchives)
    .where(beforeSeq ? sql`${auditArchives.toSeq} < ${beforeSeq}` : undefined)
    .orderBy(desc(auditArchives.toSeq))
    .limit(limit + 1)
    .all();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
