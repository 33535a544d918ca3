import { crc32 } from "../../lib/crc32.ts";

/**
 * API key format, GitHub-token style: `ep_live_` + 30 random base62 characters +
 * a 6-character base62 CRC32 of those 30. The checksum lets us refuse typos and
 * garbage without a lookup, and lets secret scanners recognise real keys.
 */
export const KEY_PREFIX = "ep_live_";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BODY_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
export const KEY_LENGTH = KEY_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;
const KEY_RE = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);
/** Characters shown in lists to tell keys apart (`ep_live_` + 4). */
export const VISIBLE_PREFIX_LENGTH = KEY_PREFIX.length + 4;

function base62(n: number, width: number): string {
  let out = "";
  for (let i = 0; i < width; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function checksum(body: string): string {
  return base62(crc32(body), CHECKSUM_LENGTH);
}

/** A fresh key; 30 base62 chars ≈ 178 bits of entropy (rejection sampling keeps it unbiased). */
export function generateApiKey(): string {
  let body = "";
  while (body.length < BODY_LENGTH) {
    const bytes = crypto.getRandomValues(new Uint8Array(BODY_LENGTH * 2));
    for (const b of bytes) {
      if (b < 248 && body.length < BODY_LENGTH) body += BASE62[b % 62];
    }
  }
  return `${KEY_PREFIX}${body}${checksum(body)}`;
}

/** Shape and checksum only: no I/O. */
export function isWellFormedApiKey(key: string): boolean {
  if (!KEY_RE.test(key)) return false;
  const body = key.slice(KEY_PREFIX.length, KEY_PREFIX.length + BODY_LENGTH);
  return checksum(body) === key.slice(KEY_PREFIX.length + BODY_LENGTH);
}

export const looksLikeApiKey = (value: string): boolean => value.startsWith(KEY_PREFIX);
