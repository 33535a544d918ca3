import { signRequest } from "@edgepanel/client";
import { describe, expect, it } from "vitest";
import { checkSignature, hmacHex, signingString } from "../../src/services/auth/signature.ts";

const secret = "epss_test_signing_secret";
const request = {
  method: "post",
  pathWithQuery: "/api/v2/servers?dry_run=1",
  body: JSON.stringify({ name: "web-1", note: "ünïcode ✓" }),
  nowSeconds: 1_795_310_000,
  nonce: "nonce-1",
};

describe("signRequest (@edgepanel/client)", () => {
  it("produces the headers the server computes for the same request", async () => {
    const headers = await signRequest(secret, request);
    const expected = await hmacHex(
      secret,
      await signingString("1795310000", request.method, request.pathWithQuery, request.body),
    );
    expect(headers["X-Signature"]).toBe(`v1=${expected}`);
    expect(headers["X-Signature"]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(headers["X-Signature-Timestamp"]).toBe("1795310000");
    expect(headers["X-Signature-Nonce"]).toBe("nonce-1");
  });

  it("signs text and the same bytes alike, and the server accepts them", async () => {
    const bytes = new TextEncoder().encode(request.body);
    const buffer = new ArrayBuffer(bytes.byteLength);
    new Uint8Array(buffer).set(bytes);
    const fromText = await signRequest(secret, request);
    expect(await signRequest(secret, { ...request, body: bytes })).toEqual(fromText);
    expect(await signRequest(secret, { ...request, body: buffer })).toEqual(fromText);
    const check = await checkSignature(
      secret,
      {
        signature: fromText["X-Signature"],
        timestamp: fromText["X-Signature-Timestamp"],
        nonce: fromText["X-Signature-Nonce"],
      },
      { method: "POST", pathWithQuery: request.pathWithQuery, body: buffer },
      request.nowSeconds,
    );
    expect(check).toEqual({ ok: true });
  });

  it("defaults to now and a fresh nonce", async () => {
    const a = await signRequest(secret, { method: "GET", pathWithQuery: "/api/v2/auth/me" });
    const b = await signRequest(secret, { method: "GET", pathWithQuery: "/api/v2/auth/me" });
    expect(Math.abs(Number(a["X-Signature-Timestamp"]) - Date.now() / 1000)).toBeLessThan(5);
    expect(a["X-Signature-Nonce"]).not.toBe(b["X-Signature-Nonce"]);
  });
});
