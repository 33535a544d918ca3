import { sha256Hex, timingSafeEqual, toHex, utf8 } from "../../lib/encoding.ts";

/**
 * Request signing for API-key clients:
 *   X-Signature: v1=<hex HMAC-SHA256(signing_secret, "{ts}.{METHOD}.{path?query}.{hex sha256(body)}")>
 *   X-Signature-Timestamp: unix seconds, within ±300 s
 *   X-Signature-Nonce: a one-time value (replays are refused)
 */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export async function signingString(
  ts: string,
  method: string,
  pathWithQuery: string,
  body: ArrayBuffer | Uint8Array | string,
) {
  const bytes = typeof body === "string" ? utf8.encode(body) : new Uint8Array(body);
  return `${ts}.${method.toUpperCase()}.${pathWithQuery}.${await sha256Hex(bytes as Uint8Array<ArrayBuffer>)}`;
}

export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(message))));
}

// Clients (and the tests) sign with `signRequest` from `@edgepanel/client`; the
// server only computes the expected MAC, from the same signing string.

/** The header a refused signature is blamed on. */
export type SignaturePart = "X-Signature" | "X-Signature-Timestamp" | "X-Signature-Nonce";

/**
 * The outcome of a check; a refusal names the header at fault and says, in a
 * sentence a client developer can act on, what is wrong with it.
 */
export type SignatureCheck = { ok: true } | { ok: false; part: SignaturePart; message: string };

const refuse = (part: SignaturePart, message: string): SignatureCheck => ({
  ok: false,
  part,
  message,
});

/** Why a header value is unusable: absent, or sent empty. */
const absent = (part: SignaturePart, value: string | undefined) =>
  value === undefined ? refuse(part, `${part} is missing`) : refuse(part, `${part} is empty`);

/** What the signature covers, as the documentation spells it. */
export const SIGNED_STRING = "{timestamp}.{METHOD}.{path?query}.{hex sha256(body)}";

export async function checkSignature(
  secret: string,
  headers: {
    signature?: string | undefined;
    timestamp?: string | undefined;
    nonce?: string | undefined;
  },
  request: { method: string; pathWithQuery: string; body: ArrayBuffer },
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureCheck> {
  const { signature, timestamp, nonce } = headers;
  if (signature === undefined)
    return refuse("X-Signature", "This API key requires signed requests: X-Signature is missing");
  if (!signature) return absent("X-Signature", signature);
  const m = /^v1=([0-9a-f]{64})$/.exec(signature);
  if (!m)
    return refuse(
      "X-Signature",
      "X-Signature must be 'v1=' followed by 64 lowercase hex characters",
    );
  if (!timestamp) return absent("X-Signature-Timestamp", timestamp);
  if (!/^\d{1,12}$/.test(timestamp))
    return refuse("X-Signature-Timestamp", "X-Signature-Timestamp must be a Unix time in seconds");
  if (!nonce) return absent("X-Signature-Nonce", nonce);
  if (nonce.length > 128)
    return refuse("X-Signature-Nonce", "X-Signature-Nonce must be at most 128 characters");
  if (Math.abs(nowSeconds - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS)
    return refuse(
      "X-Signature-Timestamp",
      `X-Signature-Timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS} seconds away from the server's clock`,
    );
  const expected = await hmacHex(
    secret,
    await signingString(timestamp, request.method, request.pathWithQuery, request.body),
  );
  if (timingSafeEqual(fromHex(expected), fromHex(m[1]!))) return { ok: true };
  return refuse(
    "X-Signature",
    `X-Signature does not match the request: sign '${SIGNED_STRING}' with the key's signing secret`,
  );
}

const fromHex = (hex: string) =>
  Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
