import type { Database } from "../../db/client.ts";
import { utf8 } from "../../lib/encoding.ts";
import { csvHeader, csvRow, type ExportFormat } from "./csv.ts";
import { R2ObjectWriter } from "./r2-writer.ts";
import { exportPage, type SubmissionFilters } from "./store.ts";

/** Rows read per query: one page is all the export ever holds of the table. */
export const EXPORT_PAGE_SIZE = 500;

export const exportKey = (jobId: string) => `exports/${jobId}.csv`;

export interface ExportOutcome {
  key: string;
  rows: number;
  bytes: number;
}

/**
 * Writes the submissions matching `filters` as CSV to `exports/{jobId}.csv`, page
 * by page (keyset by id, oldest first): each page is encoded and handed to the R2
 * writer, which uploads a 5 MiB part whenever one is full. Running it again for
 * the same job rewrites the same object, so a redelivered job is harmless.
 */
export async function writeExport(
  db: Database,
  bucket: R2Bucket,
  jobId: string,
  format: ExportFormat,
  filters: SubmissionFilters,
  pageSize = EXPORT_PAGE_SIZE,
): Promise<ExportOutcome> {
  const key = exportKey(jobId);
  const writer = new R2ObjectWriter(bucket, key, {
    httpMetadata: { contentType: "text/csv; charset=utf-8" },
    customMetadata: { format },
  });
  let rows = 0;
  try {
    await writer.write(utf8.encode(csvHeader(format)));
    let after: string | undefined;
    for (;;) {
      const page = await exportPage(db, filters, after, pageSize);
      if (!page.length) break;
      let text = "";
      for (const row of page) text += csvRow(row, format);
      await writer.write(utf8.encode(text));
      rows += page.length;
      after = page.at(-1)!.id;
      if (page.length < pageSize) break;
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return { key, rows, bytes: writer.size };
}

/** How long an export object is kept: its link lives 15 minutes, a day covers any retry. */
export const EXPORT_KEEP_MS = 24 * 60 * 60_000;

/**
 * Deletes export objects uploaded before `cutoff`, at most `limit` per call (one
 * listing page; the nightly run keeps up with any realistic export rate).
 */
export async function deleteOldExports(bucket: R2Bucket, cutoff: Date, limit = 1000) {
  const page = await bucket.list({ prefix: "exports/", limit });
  const old = page.objects.filter((o) => o.uploaded < cutoff).map((o) => o.key);
  if (old.length) await bucket.delete(old);
  return old.length;
}
