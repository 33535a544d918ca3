import { fromBase64, timingSafeEqual, toBase64Url, utf8 } from "../../lib/encoding.ts";
import { err, ok, type Result } from "../../lib/result.ts";

/** How long a file download link works. */
export const FILE_LINK_TTL_SECONDS = 5 * 60;
/** How long an export's download link works. */
export const EXPORT_LINK_TTL_SECONDS = 15 * 60;

// Derived keys per secret: importing and deriving is async work; the secret is
// immutable for the isolate's life, so the map stays tiny.
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The HMAC key for download links, derived from JWT_SECRET with HKDF under its own
 * label: a link signature can never be mistaken for, or turned into, a token.
 */
function linkKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = (async () => {
      const base = await crypto.subtle.importKey("raw", utf8.encode(secret), "HKDF", false, [
        "deriveKey",
      ]);
      return crypto.subtle.deriveKey(
        {
          name: "HKDF",
          hash: "SHA-256",
          salt: new Uint8Array(0),
          info: utf8.encode("edgepanel download links v1"),
        },
        base,
        { name: "HMAC", hash: "SHA-256", length: 256 },
        false,
        ["sign"],
      );
    })();
    keys.set(secret, key);
  }
  return key;
}

async function mac(secret: string, path: string, expires: number): Promise<Uint8Array> {
  const signature = await crypto.subtle.sign(
    "HMAC",
    await linkKey(secret),
    utf8.encode(`${path}\n${expires}`),
  );
  return new Uint8Array(signature);
}

/**
 * An absolute link to `path` on `origin` that works without other credentials
 * until `ttlSeconds` from `now`: `?expires=<unix seconds>&signature=<HMAC-SHA256>`
 * over the path and the expiry.
 */
export async function signLink(
  secret: string,
  origin: string,
  path: string,
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ url: string; expiresAt: string }> {
  const expires = Math.floor(now / 1000) + ttlSeconds;
  const signature = toBase64Url(await mac(secret, path, expires));
  const url = new URL(path, origin);
  url.search = new URLSearchParams({ expires: String(expires), signature }).toString();
  return { url: url.toString(), expiresAt: new Date(expires * 1000).toISOString() };
}

export type LinkError = "invalid" | "expired";

/** Checks a link's signature (constant time), then its expiry. */
export async function verifyLink(
  secret: string,
  path: string,
  expires: number,
  signature: string,
  now = Date.now(),
): Promise<Result<true, LinkError>> {
  let given: Uint8Array;
  try {
    given = fromBase64(signature);
  } catch {
    return err("invalid");
  }
  if (!timingSafeEqual(given, await mac(secret, path, expires))) return err("invalid");
  if (expires * 1000 <= now) return err("expired");
  return ok(true);
}
