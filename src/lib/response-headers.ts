import type { Context } from "hono";

/**
 * Header writes for middleware that run after `next()`, when the response exists.
 *
 * Hono's `c.header()` at that point rebuilds the whole Response (copying every
 * header) on each call, because a response may have immutable headers. With a
 * dozen headers added that way per request the copies cost more than the route
 * itself, so we write in place and copy once, only when the headers really are
 * immutable (a response that came from `fetch()` or the Cache API).
 */
export function setHeader(c: Context, name: string, value: string): void {
  writeHeaders(c, (h) => h.set(name, value));
}

/** Like {@link setHeader}, keeping existing values (`Vary`, `Link`). */
export function appendHeader(c: Context, name: string, value: string): void {
  writeHeaders(c, (h) => h.append(name, value));
}

/** Several header writes in one pass (and at most one copy of the response). */
export function writeHeaders(c: Context, apply: (headers: Headers) => void): void {
  try {
    apply(c.res.headers);
  } catch (error) {
    // Immutable headers throw a TypeError on the first write; anything else is real.
    if (!(error instanceof TypeError)) throw error;
    const res = c.res;
    // Unset first, so Hono does not merge the old headers into the copy a second time.
    c.res = undefined;
    c.res = new Response(res.body, res);
    apply(c.res.headers);
  }
}
