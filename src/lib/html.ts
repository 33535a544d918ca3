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
 * Renders an HTML page with a per-response nonce-based CSP and the document
 * headers. Every `<script` and `<style` tag in `html` gets the nonce, so inline
 * config blocks run while injected markup does not. Extra sources (e.g. a CDN)
 * are passed per page.
 */
export function htmlPage(
  c: Context,
  html: string,
  {
    scriptSrc = [],
    styleSrc = [],
    connectSrc = [],
    fontSrc = [],
    imgSrc = [],
  }: Partial<Record<"scriptSrc" | "styleSrc" | "connectSrc" | "fontSrc" | "imgSrc", string[]>> = {},
): Response {
  const nonce = newNonce();
  const body = html.replace(/<(script|style)\b/gi, `<$1 nonce="${nonce}"`);
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' ${scriptSrc.join(" ")}`.trim(),
    `style-src 'self' 'nonce-${nonce}' ${styleSrc.join(" ")}`.trim(),
    `img-src 'self' data: ${imgSrc.join(" ")}`.trim(),
    `font-src 'self' ${fontSrc.join(" ")}`.trim(),
    `connect-src 'self' ${connectSrc.join(" ")}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");
  return c.html(body, 200, { "Content-Security-Policy": csp, ...DOCUMENT_HEADERS });
}
