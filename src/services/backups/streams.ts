import { createHash, type Hash } from "node:crypto";
import { fromBase64, toBase64 } from "../../lib/encoding.ts";

/**
 * Counts and hashes the bytes flowing through, unchanged. WebCrypto has no
 * incremental digest; `node:crypto`'s (workerd's nodejs_compat, and Node for the
 * restore script) hashes a stream of any length in constant memory.
 */
export class Tap {
  readonly #hash: Hash = createHash("sha256");
  bytes = 0;
  readonly stream = new TransformStream<Uint8Array, Uint8Array>({
    transform: (chunk, controller) => {
      this.#hash.update(chunk);
      this.bytes += chunk.length;
      controller.enqueue(chunk);
    },
  });
  #digest: string | undefined;
  /** The SHA-256 (hex) of everything that passed; call once the stream has ended. */
  get sha256(): string {
    this.#digest ??= this.#hash.digest("hex");
    return this.#digest;
  }
}

export type SqlValue = string | number | null | ArrayBuffer | Uint8Array;

/**
 * One row as an NDJSON line. Values stay as SQLite returned them; a BLOB (none in
 * today's schema, but the format must not lose one) becomes `{"$blob": base64}`,
 * which no TEXT, INTEGER or REAL value can look like.
 */
export function encodeRow(columns: readonly string[], values: readonly unknown[]): string {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const v = values[i];
    row[columns[i]!] =
      v instanceof ArrayBuffer
        ? { $blob: toBase64(new Uint8Array(v)) }
        : v instanceof Uint8Array
          ? { $blob: toBase64(v) }
          : v;
  }
  return `${JSON.stringify(row)}\n`;
}

/** The SQL value of a decoded NDJSON field (inverse of {@link encodeRow}). */
export function decodeValue(v: unknown): SqlValue {
  if (v !== null && typeof v === "object" && "$blob" in v)
    return fromBase64(String((v as { $blob: unknown }).$blob));
  if (v === null || typeof v === "string" || typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new Error(`unexpected value in backup row: ${JSON.stringify(v)}`);
}

/** Splits decoded text into lines (without the newline); a final line without one is an error. */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = stream.pipeThrough(new TextDecoderStream("utf-8", { fatal: true })).getReader();
  let rest = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += value;
    let at = rest.indexOf("\n");
    let from = 0;
    while (at !== -1) {
      yield rest.slice(from, at);
      from = at + 1;
      at = rest.indexOf("\n", from);
    }
    rest = rest.slice(from);
  }
  if (rest.length) throw new Error("the last line has no newline (truncated stream)");
}

/** Reads a stream to its end, discarding the bytes (the taps along the way see them all). */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  for (;;) if ((await reader.read()).done) return;
}
