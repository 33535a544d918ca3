import type { Context } from "hono";

/**
 * Renders an HTML page with a per-response nonce-based CSP. Every `<script` and
 * `<style` tag in `html` gets the nonce, so inline config blocks run while injected
 * markup does not. Extra sources (e.g. a CDN) are passed per page.
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
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  const nonce = btoa(String.fromCharCode(...bytes));
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
  return c.html(body, 200, { "Content-Security-Policy": csp });
}
