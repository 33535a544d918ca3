import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/lib/crc32.ts";
import {
  checksum,
  generateApiKey,
  isWellFormedApiKey,
  KEY_LENGTH,
} from "../../src/services/api-keys/format.ts";

describe("API key format", () => {
  it("is ep_live_ + 30 base62 + a 6-char base62 CRC32", () => {
    const key = generateApiKey();
    expect(key).toMatch(/^ep_live_[0-9A-Za-z]{36}$/);
    expect(key.length).toBe(KEY_LENGTH);
    expect(key.slice(-6)).toBe(checksum(key.slice(8, 38)));
    expect(isWellFormedApiKey(key)).toBe(true);
  });

  it("CRC32 matches the reference value", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });

  it("any single-character change is caught by the checksum", () => {
    const key = generateApiKey();
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: KEY_LENGTH - 1 }),
        fc.constantFrom(..."0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
        (pos, ch) => {
          fc.pre(key[pos] !== ch);
          const tampered = key.slice(0, pos) + ch + key.slice(pos + 1);
          expect(isWellFormedApiKey(tampered)).toBe(false);
        },
      ),
    );
  });

  it("keys are unique", () => {
    const keys = new Set(Array.from({ length: 2000 }, generateApiKey));
    expect(keys.size).toBe(2000);
  });
});
