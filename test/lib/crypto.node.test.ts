import { describe, expect, it } from "vitest";
import { decrypt, encrypt, getKeyring } from "../../src/lib/crypto.ts";

const K1 = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
const K2 = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));

describe("column encryption (AES-256-GCM with key id)", () => {
  it("round-trips, with a fresh IV each time and the key id in the ciphertext", async () => {
    const ring = await getKeyring(K1);
    const a = await encrypt(ring, "s3cret", "ctx");
    const b = await encrypt(ring, "s3cret", "ctx");
    expect(a).not.toBe(b);
    expect(a.split(".")[1]).toBe(ring.current.id);
    expect(await decrypt(ring, a, "ctx")).toBe("s3cret");
  });

  it("refuses another context, a tampered ciphertext and an unknown key", async () => {
    const ring = await getKeyring(K1);
    const ct = await encrypt(ring, "s3cret", "ctx");
    await expect(decrypt(ring, ct, "other")).rejects.toThrow();
    const parts = ct.split(".");
    const body = parts[3]!;
    const flipped = (body[0] === "A" ? "B" : "A") + body.slice(1);
    await expect(decrypt(ring, [...parts.slice(0, 3), flipped].join("."), "ctx")).rejects.toThrow();
    await expect(decrypt(await getKeyring(K2), ct, "ctx")).rejects.toThrow(/no key with id/);
  });

  it("decrypts old rows after a rotation while new writes use the new key", async () => {
    const old = await encrypt(await getKeyring(K1), "legacy", "ctx");
    const rotated = await getKeyring(K2, K1);
    expect(await decrypt(rotated, old, "ctx")).toBe("legacy");
    const fresh = await encrypt(rotated, "new", "ctx");
    expect(fresh.split(".")[1]).toBe(rotated.current.id);
    expect(fresh.split(".")[1]).not.toBe(old.split(".")[1]);
  });
});
