import type { Context } from "hono";

/**
 * The caller's IP: `CF-Connecting-IP`, which Cloudflare sets and clients cannot
 * forge. Only in local development, where no edge sets it, fall back to the first
 * `X-Forwarded-For` hop, then 127.0.0.1.
 */
export function clientIp(c: Context): string {
  const cf = c.req.header("cf-connecting-ip");
  if (cf) return cf;
  const env = (c.env as { ENVIRONMENT?: string } | undefined)?.ENVIRONMENT;
  if (env === "development") {
    const xff = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (xff) return xff;
    return "127.0.0.1";
  }
  return "0.0.0.0";
}
