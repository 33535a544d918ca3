import { decodeCursor, encodeCursor } from "../../lib/cursor.ts";

/** Backups and drills are both listed newest first by (started_at, id). */
const SORT = "-started_at";

/** The position a `cursor` query parameter names, or undefined for the first page. */
export function startedAfter(cursor: string | undefined) {
  const k = cursor ? decodeCursor(cursor, SORT, 2).k : undefined;
  return k ? { startedAt: String(k[0]), id: String(k[1]) } : undefined;
}

/** The cursor of the page after this one, or null on the last page. */
export function nextCursor(page: {
  rows: readonly { startedAt: string; id: string }[];
  hasMore: boolean;
}): string | null {
  const last = page.rows.at(-1);
  return page.hasMore && last ? encodeCursor({ s: SORT, k: [last.startedAt, last.id] }) : null;
}
