import { and, desc, eq, getTableColumns, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type SubmissionRow, submissions } from "../../db/schema.ts";
import { err, ok, type Result } from "../../lib/result.ts";

export type NewSubmission = typeof submissions.$inferInsert;

export interface SubmissionFilters {
  /** RFC 3339, inclusive. */
  since?: string | undefined;
  /** RFC 3339, exclusive. */
  until?: string | undefined;
  /** An FTS5 query over name, e-mail and message. */
  q?: string | undefined;
}

export type ListedSubmission = SubmissionRow & { snippet: string | null };

/** The row's INSERT, for the submission's write unit. */
export const insertSubmission = (db: Database, row: NewSubmission) =>
  db.insert(submissions).values(row);

// Snippet markers: control characters, which stored text never contains (fields
// are stripped of them), so the snippet can be HTML-escaped and then marked up.
const OPEN = "\u0002";
const CLOSE = "\u0003";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The FTS5 snippet as HTML: the submitter's text escaped, the matches in `<mark>`. */
export const snippetHtml = (raw: string) =>
  escapeHtml(raw).replaceAll(OPEN, "<mark>").replaceAll(CLOSE, "</mark>");

function conditions(f: SubmissionFilters, beforeId?: string): SQL[] {
  return [
    f.since ? gte(submissions.createdAt, f.since) : undefined,
    f.until ? lt(submissions.createdAt, f.until) : undefined,
    beforeId ? lt(submissions.id, beforeId) : undefined,
  ].filter((c): c is SQL => c !== undefined);
}

/** True for the errors SQLite raises for a malformed FTS5 query (both drivers word them alike). */
export function isFtsQueryError(error: unknown): boolean {
  for (let e: unknown = error, i = 0; e && i < 5; i++) {
    const message = e instanceof Error ? e.message : String(e);
    if (
      /fts5: syntax error|unterminated string|no such column|unknown special query|fts5: .*(?:column|phrase)/i.test(
        message,
      )
    )
      return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}

/**
 * A page of submissions, newest first (ids are UUIDv7: id order is arrival order),
 * after `beforeId`. With `q`, only matches, each with a highlighted snippet. A
 * malformed `q` is `bad_query` (FTS5 syntax is the user's to get wrong).
 */
export async function listSubmissions(
  db: Database,
  filters: SubmissionFilters,
  { limit, beforeId }: { limit: number; beforeId?: string | undefined },
): Promise<Result<{ rows: ListedSubmission[]; hasMore: boolean }, "bad_query">> {
  const where = conditions(filters, beforeId);
  let rows: ListedSubmission[];
  try {
    if (filters.q) {
      rows = (await db
        .select({
          ...getColumns(),
          snippet: sql<string>`snippet(submissions_fts, -1, ${OPEN}, ${CLOSE}, '…', 16)`,
        })
        .from(sql`submissions_fts`)
        .innerJoin(submissions, sql`${submissions.seq} = submissions_fts.rowid`)
        .where(and(sql`submissions_fts match ${filters.q}`, ...where))
        .orderBy(desc(submissions.id))
        .limit(limit + 1)
        .all()) as ListedSubmission[];
      for (const row of rows) row.snippet = row.snippet === null ? null : snippetHtml(row.snippet);
    } else {
      rows = (
        await db
          .select()
          .from(submissions)
          .where(and(...where))
          .orderBy(desc(submissions.id))
          .limit(limit + 1)
          .all()
      ).map((r) => ({ ...r, snippet: null }));
    }
  } catch (error) {
    if (filters.q && isFtsQueryError(error)) return err("bad_query");
    throw error;
  }
  return ok({ rows: rows.slice(0, limit), hasMore: rows.length > limit });
}

const getColumns = () => getTableColumns(submissions);

export const getSubmission = (db: Database, id: string) =>
  db.select().from(submissions).where(eq(submissions.id, id)).get();

/**
 * Rows for an export, oldest first, in pages of `pageSize` after `afterId`: the
 * caller holds one page at a time, never the whole result.
 */
export async function exportPage(
  db: Database,
  filters: SubmissionFilters,
  afterId: string | undefined,
  pageSize: number,
): Promise<SubmissionRow[]> {
  const where = [
    filters.since ? gte(submissions.createdAt, filters.since) : undefined,
    filters.until ? lt(submissions.createdAt, filters.until) : undefined,
    afterId ? sql`${submissions.id} > ${afterId}` : undefined,
  ].filter((c): c is SQL => c !== undefined);
  if (filters.q) {
    return (await db
      .select(getColumns())
      .from(sql`submissions_fts`)
      .innerJoin(submissions, sql`${submissions.seq} = submissions_fts.rowid`)
      .where(and(sql`submissions_fts match ${filters.q}`, ...where))
      .orderBy(submissions.id)
      .limit(pageSize)
      .all()) as SubmissionRow[];
  }
  return db
    .select()
    .from(submissions)
    .where(and(...where))
    .orderBy(submissions.id)
    .limit(pageSize)
    .all();
}

/** Checks an FTS5 query without returning rows; `bad_query` when SQLite refuses it. */
export async function checkQuery(db: Database, q: string): Promise<Result<true, "bad_query">> {
  try {
    await db.all(sql`select rowid from submissions_fts where submissions_fts match ${q} limit 1`);
    return ok(true);
  } catch (error) {
    if (isFtsQueryError(error)) return err("bad_query");
    throw error;
  }
}

export interface RetentionResult {
  rows: number;
  files: number;
}

/**
 * Deletes submissions created before `cutoff` and their files, oldest first, in
 * batches of `batch` rows and at most `maxRounds` batches per call (a run stays
 * within the Worker's limits; the next night continues). Files go first: if the
 * row delete then fails, the next run deletes the (already absent) files again,
 * which R2 treats as success, so no file outlives its row.
 */
export async function deleteExpired(
  db: Database,
  bucket: R2Bucket,
  cutoff: string,
  { batch = 200, maxRounds = 25 }: { batch?: number; maxRounds?: number } = {},
): Promise<RetentionResult> {
  const total: RetentionResult = { rows: 0, files: 0 };
  for (let round = 0; round < maxRounds; round++) {
    const expired = await db
      .select({ id: submissions.id, fileKey: submissions.fileKey })
      .from(submissions)
      .where(lt(submissions.createdAt, cutoff))
      .orderBy(submissions.createdAt)
      .limit(batch)
      .all();
    if (!expired.length) break;
    const keys = expired.flatMap((r) => (r.fileKey ? [r.fileKey] : []));
    if (keys.length) await bucket.delete(keys);
    // D1 binds at most 100 parameters per statement.
    for (let i = 0; i < expired.length; i += 90) {
      const ids = expired.slice(i, i + 90).map((r) => r.id);
      await db.delete(submissions).where(inArray(submissions.id, ids));
    }
    total.rows += expired.length;
    total.files += keys.length;
    if (expired.length < batch) break;
  }
  return total;
}
