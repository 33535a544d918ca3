import { signRequest } from "@edgepanel/client";
import { describe, expect, it } from "vitest";
import { checkSignature } from "../../../src/services/auth/signature.ts";

const SECRET = "epss_test-signing-secret";
const NOW = 1_800_000_000;
const target = { method: "GET", pathWithQuery: "/api/v2/auth/me" };
const request = { ...target, body: new ArrayBuffer(0) };

/** Signed headers for `request`, lower-cased as checkSignature takes them, with overrides. */
async function headers(
  overrides: Partial<Record<"signature" | "timestamp" | "nonce", string | undefined>>,
) {
  const h = await signRequest(SECRET, { ...target, nowSeconds: NOW, nonce: "n-1" });
  return {
    signature: h["X-Signature"],
    timestamp: h["X-Signature-Timestamp"],
    nonce: h["X-Signature-Nonce"],
    ...overrides,
  };
}

const check = async (
  overrides: Partial<Record<"signature" | "timestamp" | "nonce", string | undefined>>,
) => checkSignature(SECRET, await headers(overrides), request, NOW);

describe("checkSignature names the part at fault, in a sentence", () => {
  it("accepts a good signature", async () => {
    expect(await check({})).toEqual({ ok: true });
  });

  it.each([
    [
      { signature: undefined },
      "X-Signature",
      "This API key requires signed requests: X-Signature is missing",
    ],
    [{ signature: "" }, "X-Signature", "X-Signature is empty"],
    [
      { signature: "v1=ABC" },
      "X-Signature",
      "X-Signature must be 'v1=' followed by 64 lowercase hex characters",
    ],
    [{ timestamp: undefined }, "X-Signature-Timestamp", "X-Signature-Timestamp is missing"],
    [{ timestamp: "" }, "X-Signature-Timestamp", "X-Signature-Timestamp is empty"],
    [
      { timestamp: "yesterday" },
      "X-Signature-Timestamp",
      "X-Signature-Timestamp must be a Unix time in seconds",
    ],
    [{ nonce: undefined }, "X-Signature-Nonce", "X-Signature-Nonce is missing"],
    [{ nonce: "" }, "X-Signature-Nonce", "X-Signature-Nonce is empty"],
    [
      { nonce: "n".repeat(129) },
      "X-Signature-Nonce",
      "X-Signature-Nonce must be at most 128 characters",
    ],
    [
      { timestamp: String(NOW - 301) },
      "X-Signature-Timestamp",
      "X-Signature-Timestamp is more than 300 seconds away from the server's clock",
    ],
  ])("%j → %s", async (overrides, part, message) => {
    expect(await check(overrides)).toEqual({ ok: false, part, message });
  });

  it("a signature over something else does not match, and says what is signed", async () => {
    const other = await signRequest("epss_another-secret", {
      ...target,
      nowSeconds: NOW,
      nonce: "n-1",
    });
    const result = await check({ signature: other["X-Signature"] });
    expect(result).toEqual({
      ok: false,
      part: "X-Signature",
      message:
        "X-Signature does not match the request: sign '{timestamp}.{METHOD}.{path?query}.{hex sha256(body)}' with the key's signing secret",
    });
  });
});
