import { fromBase64, toBase64Url, utf8 } from "./encoding.ts";
import { ApiError } from "./problem.ts";

/**
 * Opaque keyset-pagination cursors: base64url JSON of the sort name and the last
 * row's sort key. The sort name is checked on the way back so a cursor cannot be
 * replayed against another ordering; anything that does not decode is a 400.
 */
export interface CursorPayload {
  /** The `sort` the cursor was minted for. */
  s: string;
  /** The last row's sort-key values, most significant first; the id is always last. */
  k: (string | number)[];
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

export function encodeCursor(payload: CursorPayload): string {
  return toBase64Url(utf8.encode(JSON.stringify(payload)));
}

/** Decodes a cursor minted for `sort` with `keys` key values; throws a 400 problem otherwise. */
export function decodeCursor(cursor: string, sort: string, keys: number): CursorPayload {
  const invalid = () =>
    new ApiError("bad_request", {
      detail: "The cursor is invalid or belongs to another sort order",
      errors: [{ path: "query.cursor", message: "invalid cursor" }],
    });
  if (cursor.length > 512 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let payload: unknown;
  try {
    payload = JSON.parse(strictUtf8.decode(fromBase64(cursor)));
  } catch {
    throw invalid();
  }
  const p = payload as Partial<CursorPayload> | null;
  if (
    !p ||
    typeof p !== "object" ||
    p.s !== sort ||
    !Array.isArray(p.k) ||
    p.k.length !== keys ||
    !p.k.every((v) => typeof v === "string" || typeof v === "number")
  ) {
    throw invalid();
  }
  return p as CursorPayload;
}
