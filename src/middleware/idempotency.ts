import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { clientIp } from "../lib/client-ip.ts";
import { sha256Hex, utf8 } from "../lib/encoding.ts";
import { ApiError } from "../lib/problem.ts";
import { claim, complete, release } from "../services/idempotency/idempotency.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The Idempotency-Key claim this request holds; its mutation marks it committed. */
    idempotencyClaim?: string;
  }
}

const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const REPLAYED_HEADERS = ["content-type", "location", "etag"];

/**
 * `Idempotency-Key` for POST routes (draft-ietf-httpapi-idempotency-key-header).
 * The first successful response is stored for 24 h and replayed with
 * `Idempotency-Replayed: true` for the same key and request; the same key with a
 * different request is 422; a duplicate while the first is still running is 409.
 * Keys are scoped to the caller (principal, or IP when anonymous) and the route.
 *
 * Opt-in per route: routes whose responses carry secrets (tokens, API keys) must
 * not use it, because the stored response would keep the secret at rest.
 */
export const idempotency = (): MiddlewareHandler<AppEnv> =>
  async function idempotency(c, next) {
    const key = c.req.header("idempotency-key");
    if (c.req.method !== "POST" || key === undefined) return next();
    if (!KEY_RE.test(key)) {
      throw new ApiError("bad_request", {
        detail: "Idempotency-Key must be 1–255 visible ASCII characters",
        errors: [{ path: "header.idempotency-key", message: "invalid" }],
      });
    }
    const p = c.get("principal");
    const who = p
      ? p.kind === "api_key"
        ? `key:${p.keyId}`
        : `user:${p.userId}`
      : `ip:${clientIp(c)}`;
    // Method, path and body, concatenated without copying the body through a JS array.
    const head = utf8.encode(`${c.req.method} ${c.req.path}\n`);
    const body = new Uint8Array(await c.req.arrayBuffer());
    const signed = new Uint8Array(head.length + body.length);
    signed.set(head);
    signed.set(body, head.length);
    const requestHash = await sha256Hex(signed);
    const scoped = `${who}:${c.req.method} ${c.req.path}:${key}`;
    const db = c.get("db");

    const result = await claim(db, scoped, requestHash);
    if (!result.claimed) {
      const { existing } = result;
      if (existing.requestHash !== requestHash) {
        throw new ApiError("validation", {
          detail: "This Idempotency-Key was already used with a different request",
          errors: [{ path: "header.idempotency-key", message: "reused with a different request" }],
        });
      }
      if (existing.state === "committed") {
        // The first request's write committed but its response was not stored.
        throw new ApiError("conflict", {
          detail:
            "A request with this Idempotency-Key already succeeded, but its response is not available; fetch the resource instead",
        });
      }
      if (existing.state === "running") {
        throw new ApiError("conflict", {
          detail: "A request with this Idempotency-Key is still being processed",
          headers: { "Retry-After": "1" },
        });
      }
      const headers = new Headers(existing.headers ?? {});
      headers.set("Idempotency-Replayed", "true");
      return new Response(existing.body, { status: existing.status ?? 200, headers });
    }

    c.set("idempotencyClaim", scoped);
    await next();
    const res = c.res;
    // Like Stripe, only a request that did something is remembered: an error means
    // nothing was created, so the key is released and a corrected retry may reuse it.
    if (res.status >= 400) {
      await release(db, scoped);
      return;
    }
    const headers: Record<string, string> = {};
    for (const h of REPLAYED_HEADERS) {
      const v = res.headers.get(h);
      if (v) headers[h] = v;
    }
    // After the commit: storing the replay must not turn a success into an error.
    // If it fails, the claim stays `committed` (set in the mutation's batch), so a
    // retry is refused rather than run twice.
    try {
      await complete(db, scoped, { status: res.status, headers, body: await res.clone().text() });
    } catch (error) {
      c.get("logger").error("idempotency response not stored", { error: String(error) });
    }
  };
