import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/lib/cursor.ts";
import { isUuid, uuidv7 } from "../../src/lib/ids.ts";

describe("UUIDv7", () => {
  it("is a valid v7 UUID that sorts by creation, even within one millisecond", () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
    for (const id of ids.slice(0, 10)) {
      expect(isUuid(id)).toBe(true);
      expect(id[14]).toBe("7");
    }
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(uuidv7(1_700_000_000_001 + 10) > ids.at(-1)!).toBe(true);
  });
});

describe("cursors", () => {
  it("round-trip for the sort they were minted for", () => {
    const c = encodeCursor({ s: "name", k: ["web-1", "0193"] });
    expect(decodeCursor(c, "name", 2)).toEqual({ s: "name", k: ["web-1", "0193"] });
  });

  it("are a 400 problem for another sort, the wrong arity or tampering", () => {
    const c = encodeCursor({ s: "name", k: ["web-1", "0193"] });
    for (const [cursor, sort, n] of [
      [c, "-created_at", 2],
      [c, "name", 1],
      [`${c}x`, "name", 2],
      ["%%%", "name", 2],
      [encodeCursor({ s: "name", k: [{}] } as never), "name", 1],
    ] as const) {
      expect(() => decodeCursor(cursor, sort, n)).toThrowError(
        expect.objectContaining({ status: 400 }),
      );
    }
  });
});
