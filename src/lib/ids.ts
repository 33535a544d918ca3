/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then random bits. Ids sort by
 * creation time, so keyset pagination by id is also pagination by time and new
 * rows land at the right edge of the primary-key b-tree.
 *
 * Within one isolate, ids minted in the same millisecond stay monotonic: the
 * 12-bit `rand_a` field is used as a counter seeded randomly (method 1 of §6.2).
 */
import { HEX } from "./encoding.ts";

let lastMs = 0;
let counter = 0;

export function uuidv7(now: number = Date.now(), random?: Uint8Array, offset = 0): string {
  // Ten random bytes are used (positions 6–15 of a UUID); a caller that already drew
  // randomness for this request passes it in, so a request costs one draw.
  const r = random ?? crypto.getRandomValues(new Uint8Array(16));
  const o = random ? offset - 6 : 0;
  if (now <= lastMs) {
    counter = (counter + 1) & 0xfff;
    // Counter wrapped inside one millisecond: borrow the next millisecond.
    if (counter === 0) lastMs += 1;
    now = lastMs;
  } else {
    lastMs = now;
    counter = (((r[o + 6]! & 0x0f) << 8) | r[o + 7]!) & 0x7ff; // head-room: rarely wraps
  }
  const high = Math.floor(now / 2 ** 32);
  const low = now >>> 0;
  let out =
    HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[low >>> 24]! + HEX[(low >>> 16) & 0xff]!;
  out += `-${HEX[(low >>> 8) & 0xff]}${HEX[low & 0xff]}-`;
  out += HEX[0x70 | ((counter >>> 8) & 0x0f)]! + HEX[counter & 0xff]!;
  out += `-${HEX[0x80 | (r[o + 8]! & 0x3f)]}${HEX[r[o + 9]!]}-`;
  for (let i = 10; i < 16; i++) out += HEX[r[o + i]!];
  return out;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True for a canonical lowercase UUID string. */
export const isUuid = (value: string): boolean => UUID_RE.test(value);

/** Current time as an RFC 3339 UTC string with milliseconds (sorts lexically). */
export const nowIso = (now: number = Date.now()): string => new Date(now).toISOString();
