/** The strict default CSP for API responses: JSON needs no scripts, styles or frames. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ["Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Referrer-Policy", "no-referrer"],
];

/**
 * Security headers on every response: HSTS, `nosniff`, `X-Frame-Options:
 * DENY`, `Referrer-Policy` and, unless the page set its own (nonce-based) policy, the
 * strict API CSP — the set OWASP's REST Security Cheat Sheet asks of an API. Applied
 * by the outermost middleware (src/middleware/request-context.ts) in the same pass as
 * the request id.
 *
 * Headers that only mean something to a browser rendering a document (COOP/CORP,
 * Origin-Agent-Cluster, Permissions-Policy) are added by `htmlPage` to the HTML
 * pages, not to every JSON answer: each header is work for every hop of every
 * response. Obsolete ones (X-XSS-Protection, X-Download-Options,
 * X-DNS-Prefetch-Control, X-Permitted-Cross-Domain-Policies) are not sent at all.
 *
 * A fixed list written in one pass, not hono's `secureHeaders`: that one checks
 * `has()` before every `set()` to honour `overwrite: false`, and only the CSP needs it.
 */
export function applySecurityHeaders(headers: Headers): void {
  for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
  if (!headers.has("Content-Security-Policy")) headers.set("Content-Security-Policy", API_CSP);
}
