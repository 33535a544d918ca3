import { utf8 } from "../../lib/encoding.ts";
import { R2ObjectWriter } from "../submissions/r2-writer.ts";
import { encryptStream, type SealingKey } from "./envelope.ts";
import type { FileEntry } from "./manifest.ts";
import { ident, type SqlSource } from "./schema.ts";
import { encodeRow, Tap } from "./streams.ts";

export interface TableSlice {
  table: string;
  /** Object name within the backup. */
  name: string;
  /** Read rows with rowid > afterRowid … */
  afterRowid: number;
  /** … and ≤ fence (the table's max rowid when the snapshot was fenced). */
  fence: number;
  /** At most this many rows go into this object. */
  maxRows: number;
}

export interface WriteOptions {
  pageRows: number;
  sealing: SealingKey | null;
  /** Test hook: runs after each page is read (writes during a backup). */
  afterPage?: ((table: string, rows: number) => Promise<void>) | undefined;
}

/**
 * Streams one slice of a table to R2 as gzip NDJSON (encrypted when `sealing` is
 * given): pages are read by rowid keyset only as the compressor asks for more, so
 * memory holds one page and one R2 part whatever the table's size. Returns the
 * manifest entry, the last rowid written, and whether the slice stopped at
 * `maxRows` (more rows may follow in another part).
 */
export async function writeSlice(
  db: SqlSource,
  bucket: R2Bucket,
  key: string,
  slice: TableSlice,
  { pageRows, sealing, afterPage }: WriteOptions,
): Promise<{ entry: FileEntry; lastRowid: number; full: boolean }> {
  const plain = new Tap();
  const gz = new Tap();
  const stored = new Tap();
  const select = db.prepare(
    `select rowid as "__rowid", * from ${ident(slice.table)} where rowid > ?1 and rowid <= ?2 order by rowid limit ?3`,
  );
  let rows = 0;
  let after = slice.afterRowid;
  let exhausted = false;
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const limit = Math.min(pageRows, slice.maxRows - rows);
      if (exhausted || limit <= 0) {
        controller.close();
        return;
      }
      const [names, ...page] = await select
        .bind(after, slice.fence, limit)
        .raw({ columnNames: true });
      if (!page.length) {
        exhausted = true;
        controller.close();
        return;
      }
      const columns = (names as string[]).slice(1);
      let text = "";
      for (const values of page) text += encodeRow(columns, values.slice(1));
      after = page.at(-1)![0] as number;
      rows += page.length;
      if (page.length < limit) exhausted = true;
      controller.enqueue(utf8.encode(text));
      await afterPage?.(slice.table, page.length);
    },
  });
  let stream = source
    .pipeThrough(plain.stream)
    .pipeThrough(new CompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>)
    .pipeThrough(gz.stream);
  if (sealing) stream = stream.pipeThrough(encryptStream(sealing, slice.name));
  stream = stream.pipeThrough(stored.stream);
  const writer = new R2ObjectWriter(bucket, key, {
    httpMetadata: { contentType: sealing ? "application/octet-stream" : "application/gzip" },
    customMetadata: { table: slice.table, ...(sealing ? { key_id: sealing.id } : {}) },
  });
  try {
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await writer.write(value);
    }
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
  return {
    entry: {
      table: slice.table,
      name: slice.name,
      rows,
      plain_bytes: plain.bytes,
      plain_sha256: plain.sha256,
      gzip_bytes: gz.bytes,
      gzip_sha256: gz.sha256,
      stored_bytes: stored.bytes,
      stored_sha256: stored.sha256,
    },
    lastRowid: after,
    full: !exhausted && rows >= slice.maxRows,
  };
}
