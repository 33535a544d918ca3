import type { Context } from "hono";
import { randomBytes, toBase64 } from "./encoding.ts";

/** A fresh CSP nonce: 128 random bits, base64. Never reused across responses. */
export const newNonce = (): string => toBase64(randomBytes(16));

/**
 * What a browser applies to a rendered document and not to an API answer: process
 * isolation (COOP/CORP, Origin-Agent-Cluster) and no powerful features.
 */
const DOCUMENT_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Origin-Agent-Cluster": "?1",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

/**
 * `<meta property="csp-nonce">` in a page template gets the response's nonce as its
 * `content`: scripts that create `<style>` elements at run time (Scalar does) read
 * it from there and put it on those elements. Only script can read it, and only
 * nonce'd scripts run, so injected markup still gets neither scripts nor styles.
 */
const NONCE_META = /<meta property="csp-nonce"(?: content="[^"]*")?>/gi;

/** Puts `nonce` on every `<script`/`<style` tag and into the csp-nonce meta tag. */
function stampNonce(html: string, nonce: string): string {
  return html
    .replace(/<(script|style)\b/gi, `<$1 nonce="${nonce}"`)
    .replace(NONCE_META, `<meta property="csp-nonce" content="${nonce}">`);
}

/**
 * Replaces a stamped page's nonce with a fresh one, in the places `htmlPage` put it
 * (the edge cache re-serves stored pages with a new nonce per response).
 */
export function renewNonce(html: string, old: string, nonce: string): string {
  return html
    .replaceAll(`nonce="${old}"`, `nonce="${nonce}"`)
    .replaceAll(
      `<meta property="csp-nonce" content="${old}">`,
      `<meta property="csp-nonce" content="${nonce}">`,
    );
}

type Sources = "scriptSrc" | "styleSrc" | "styleSrcAttr" | "connectSrc" | "fontSrc" | "imgSrc";

/**
 * Renders an HTML page with a per-response nonce-based CSP and the document
 * headers. Every `<script` and `<style` tag in `html` gets the nonce, so inline
 * config blocks run while injected markup does not. Extra sources are passed per
 * page; `styleSrcAttr` adds a `style-src-attr` directive (inline `style="…"`
 * attributes, which a nonce cannot allow) without weakening `style-src` for
 * `<style>` elements.
 */
export function htmlPage(
  c: Context,
  html: string,
  {
    scriptSrc = [],
    styleSrc = [],
    styleSrcAttr,
    connectSrc = [],
    fontSrc = [],
    imgSrc = [],
  }: Partial<Record<Sources, string[]>> = {},
): Response {
  const nonce = newNonce();
  const body = stampNonce(html, nonce);
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' ${scriptSrc.join(" ")}`.trim(),
    `style-src 'self' 'nonce-${nonce}' ${styleSrc.join(" ")}`.trim(),
    ...(styleSrcAttr ? [`style-src-attr ${styleSrcAttr.join(" ")}`] : []),
    `img-src 'self' data: ${imgSrc.join(" ")}`.trim(),
    `font-src 'self' ${fontSrc.join(" ")}`.trim(),
    `connect-src 'self' ${connectSrc.join(" ")}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
  return c.html(body, 200, { "Content-Security-Policy": csp, ...DOCUMENT_HEADERS });
}
