import { describe, expect, it } from "vitest";
import {
  hashPassword,
  needsRehash,
  PBKDF2_ITERATIONS,
  verifyPassword,
} from "../../src/lib/password.ts";

describe("password hashing", () => {
  it("encodes algorithm and parameters, with a per-user salt", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(
      new RegExp(
        `^pbkdf2-sha256\\$${PBKDF2_ITERATIONS}\\$[A-Za-z0-9+/=]{24}\\$[A-Za-z0-9+/=]{44}$`,
      ),
    );
    expect(a).not.toBe(b);
    expect(await verifyPassword("correct horse battery", a)).toBe(true);
    expect(await verifyPassword("correct horse batterY", a)).toBe(false);
  });

  it("verifies hashes made with older, cheaper parameters and flags them for re-hashing", async () => {
    const old = await hashPassword("legacy password!", 1000);
    expect(await verifyPassword("legacy password!", old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword("x"))).toBe(false);
  });

  it("treats malformed stored hashes as a mismatch, never an exception", async () => {
    for (const bad of [
      "",
      "plain",
      "md5$1$a$b",
      "pbkdf2-sha256$abc$x$y",
      "pbkdf2-sha256$999999999$AA==$AA==",
    ]) {
      expect(await verifyPassword("x", bad)).toBe(false);
    }
  });
});
