/** What {@link signRequest} signs: the request exactly as it will be sent. */
export interface SignRequestInput {
  /** HTTP method, any case (signed upper-cased). */
  method: string;
  /** Path and query string exactly as sent, e.g. `/api/v2/servers?limit=20`. */
  pathWithQuery: string;
  /** The exact body that is sent (text or bytes); empty or omitted when there is none. */
  body?: string | Uint8Array | ArrayBuffer;
  /** Unix time in seconds to sign with; defaults to now. */
  nowSeconds?: number;
  /** A value never used before with this key; defaults to a random UUID. */
  nonce?: string;
}

/** The headers that carry a request signature (spread them into a request's headers). */
export type SignatureHeaders = {
  "X-Signature": string;
  "X-Signature-Timestamp": string;
  "X-Signature-Nonce": string;
};

const utf8 = new TextEncoder();

const hex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

/** The body as bytes in an ArrayBuffer of its own (what `subtle.digest` takes everywhere). */
function bytesOf(body: string | Uint8Array | ArrayBuffer): Uint8Array<ArrayBuffer> {
  // encode() always returns a fresh ArrayBuffer; some runtimes' typings just say so less precisely.
  if (typeof body === "string") return utf8.encode(body) as Uint8Array<ArrayBuffer>;
  const view = body instanceof Uint8Array ? body : new Uint8Array(body);
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

/**
 * Signs a request for an API key that has a signing secret (required for keys
 * created with `require_signature`). Returns the three headers to send with it:
 *
 *   X-Signature: v1=<hex HMAC-SHA256(secret, "{timestamp}.{METHOD}.{path?query}.{hex SHA-256(body)}")>
 *   X-Signature-Timestamp: <unix seconds; the server accepts ±300 s>
 *   X-Signature-Nonce: <one-time value; a replay is refused>
 *
 * Uses Web Crypto only, so it runs in Node.js ≥ 20, browsers, Deno, Bun and Workers.
 *
 * @example
 * const body = JSON.stringify({ name: "web-1", host: "web-1.example.com", port: 443, environment: "production" });
 * const headers = await signRequest(signingSecret, { method: "POST", pathWithQuery: "/api/v2/servers", body });
 * await fetch("https://panel.example.com/api/v2/servers", {
 *   method: "POST",
 *   headers: { ...headers, "X-API-Key": key, "Content-Type": "application/json" },
 *   body,
 * });
 */
export async function signRequest(
  secret: string,
  {
    method,
    pathWithQuery,
    body = "",
    nowSeconds = Math.floor(Date.now() / 1000),
    nonce = crypto.randomUUID(),
  }: SignRequestInput,
): Promise<SignatureHeaders> {
  const timestamp = String(Math.floor(nowSeconds));
  const bodyHash = hex(await crypto.subtle.digest("SHA-256", bytesOf(body)));
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const message = `${timestamp}.${method.toUpperCase()}.${pathWithQuery}.${bodyHash}`;
  const mac = hex(await crypto.subtle.sign("HMAC", key, utf8.encode(message)));
  return {
    "X-Signature": `v1=${mac}`,
    "X-Signature-Timestamp": timestamp,
    "X-Signature-Nonce": nonce,
  };
}

/**
 * Wraps `fetch` so that every request is signed with {@link signRequest} just before it
 * is sent, over the bytes actually sent (JSON, form or none).
 */
export function signingFetch(secret: string, next: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const url = new URL(request.url);
    const signature = await signRequest(secret, {
      method: request.method,
      pathWithQuery: url.pathname + url.search,
      body: body ?? "",
    });
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(signature)) headers.set(name, value);
    return next(request.url, {
      method: request.method,
      headers,
      body,
      redirect: request.redirect,
      signal: request.signal,
    });
  };
}
