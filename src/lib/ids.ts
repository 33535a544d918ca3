/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then random bits. Ids sort by
 * creation time, so keyset pagination by id is also pagination by time and new
 * rows land at the right edge of the primary-key b-tree.
 *
 * Within one isolate, ids minted in the same millisecond stay monotonic: the
 * 12-bit `rand_a` field is used as a counter seeded randomly (method 1 of §6.2).
 */
let lastMs = 0;
let counter = 0;

export function uuidv7(now: number = Date.now()): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  if (now <= lastMs) {
    counter = (counter + 1) & 0xfff;
    // Counter wrapped inside one millisecond: borrow the next millisecond.
    if (counter === 0) lastMs += 1;
    now = lastMs;
  } else {
    lastMs = now;
    counter = ((bytes[6]! & 0x0f) << 8) | bytes[7]!;
    counter &= 0x7ff; // leave head-room so the counter rarely wraps
  }
  bytes[0] = Math.floor(now / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(now / 2 ** 32) & 0xff;
  bytes[2] = (now >>> 24) & 0xff;
  bytes[3] = (now >>> 16) & 0xff;
  bytes[4] = (now >>> 8) & 0xff;
  bytes[5] = now & 0xff;
  bytes[6] = 0x70 | ((counter >>> 8) & 0x0f);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** True for a canonical lowercase UUID string. */
export const isUuid = (value: string): boolean => UUID_RE.test(value);

/** Current time as an RFC 3339 UTC string with milliseconds (sorts lexically). */
export const nowIso = (now: number = Date.now()): string => new Date(now).toISOString();
