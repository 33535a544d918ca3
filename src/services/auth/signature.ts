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

/** Builds the headers a client sends; exported for the typed client and tests. */
export async function signRequest(
  secret: string,
  {
    method,
    pathWithQuery,
    body = "",
    nowSeconds = Math.floor(Date.now() / 1000),
    nonce = crypto.randomUUID(),
  }: {
    method: string;
    pathWithQuery: string;
    body?: string | Uint8Array;
    nowSeconds?: number;
    nonce?: string;
  },
): Promise<Record<string, string>> {
  const ts = String(nowSeconds);
  const mac = await hmacHex(secret, await signingString(ts, method, pathWithQuery, body));
  return { "X-Signature": `v1=${mac}`, "X-Signature-Timestamp": ts, "X-Signature-Nonce": nonce };
}

export type SignatureCheck = "ok" | "missing" | "malformed" | "stale" | "mismatch";

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
  if (!headers.signature) return "missing";
  const m = /^v1=([0-9a-f]{64})$/.exec(headers.signature);
  if (
    !m ||
    !headers.timestamp ||
    !/^\d{1,12}$/.test(headers.timestamp) ||
    !headers.nonce ||
    headers.nonce.length > 128
  ) {
    return "malformed";
  }
  if (Math.abs(nowSeconds - Number(headers.timestamp)) > SIGNATURE_TOLERANCE_SECONDS)
    return "stale";
  const expected = await hmacHex(
    secret,
    await signingString(headers.timestamp, request.method, request.pathWithQuery, request.body),
  );
  const a = fromHex(expected);
  const b = fromHex(m[1]!);
  return timingSafeEqual(a, b) ? "ok" : "mismatch";
}

const fromHex = (hex: string) =>
  Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
