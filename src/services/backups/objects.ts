import { decryptStream, EnvelopeError } from "./envelope.ts";
import type { FileEntry } from "./manifest.ts";
import { lines, Tap } from "./streams.ts";

/** Where backup objects are read from: the R2 bucket, or a directory exported from it. */
export interface ObjectSource {
  get(key: string): Promise<{ body: ReadableStream<Uint8Array>; size: number } | null>;
}

export const r2Source = (bucket: R2Bucket): ObjectSource => ({
  async get(key) {
    const object = await bucket.get(key);
    return object ? { body: object.body as ReadableStream<Uint8Array>, size: object.size } : null;
  },
});

/** A file that does not match its manifest entry: the backup cannot be trusted. */
export class IntegrityError extends Error {
  override name = "IntegrityError";
}

export interface ReadOptions {
  /** Keys by id, for encrypted objects; null when the backup is not encrypted. */
  keys: ReadonlyMap<string, CryptoKey> | null;
  /** Called with each NDJSON line; omitted, the lines are only counted. */
  onLine?: (line: string) => Promise<void> | void;
}

/**
 * Reads one object end to end through the taps — stored bytes, decryption, gzip,
 * plain NDJSON — and checks each size, SHA-256 and the row count against `entry`.
 * Throws {@link IntegrityError} on the first difference. With `onLine`, rows are
 * handed over as they are read: a caller that must not act on unverified data
 * (restore) reads every object once without `onLine` first.
 */
export async function readObject(
  source: ObjectSource,
  key: string,
  entry: FileEntry,
  { keys, onLine }: ReadOptions,
): Promise<void> {
  const object = await source.get(key);
  if (!object) throw new IntegrityError(`${entry.name}: missing`);
  if (object.size !== entry.stored_bytes)
    throw new IntegrityError(
      `${entry.name}: ${object.size} bytes stored, the manifest says ${entry.stored_bytes}`,
    );
  const stored = new Tap();
  const gz = new Tap();
  const plain = new Tap();
  let stream = object.body.pipeThrough(stored.stream);
  if (keys) stream = stream.pipeThrough(decryptStream(keys, entry.name));
  stream = stream
    .pipeThrough(gz.stream)
    .pipeThrough(new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>)
    .pipeThrough(plain.stream);
  let rows = 0;
  try {
    if (onLine) {
      for await (const line of lines(stream)) {
        rows++;
        await onLine(line);
      }
    } else {
      for await (const _ of lines(stream)) rows++;
    }
  } catch (error) {
    if (error instanceof IntegrityError) throw error;
    const reason =
      error instanceof EnvelopeError ? error.message : `${entry.name}: ${String(error)}`;
    throw new IntegrityError(reason);
  }
  const checks: [string, unknown, unknown][] = [
    ["stored SHA-256", stored.sha256, entry.stored_sha256],
    ["gzip bytes", gz.bytes, entry.gzip_bytes],
    ["gzip SHA-256", gz.sha256, entry.gzip_sha256],
    ["plain bytes", plain.bytes, entry.plain_bytes],
    ["plain SHA-256", plain.sha256, entry.plain_sha256],
    ["rows", rows, entry.rows],
  ];
  for (const [what, got, want] of checks)
    if (got !== want) throw new IntegrityError(`${entry.name}: ${what} ${got} ≠ manifest ${want}`);
}
