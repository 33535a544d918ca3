import { err, ok, type Result } from "../../lib/result.ts";
import { resilientFetch } from "../../outbound/fetch.ts";

export const SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

/**
 * Cloudflare's documented test secrets. They are answered here, without a network
 * call: local development and CI need no internet, and their answer is fixed anyway.
 */
export const TEST_SECRETS = {
  pass: "1x0000000000000000000000000000000AA",
  fail: "2x0000000000000000000000000000000AA",
  spent: "3x0000000000000000000000000000000AA",
} as const;

/** Cloudflare's test site keys, for the widget in local pages. */
export const TEST_SITE_KEYS = {
  pass: "1x00000000000000000000AA",
  fail: "2x00000000000000000000AB",
} as const;

/** Turnstile tokens are at most 2048 characters (Cloudflare's documented limit). */
export const MAX_TOKEN_LENGTH = 2048;

export type TurnstileError = "missing" | "failed" | "unavailable";

export interface VerifyOptions {
  ip?: string | undefined;
  traceparent?: string | undefined;
  /** Sent as `idempotency_key`: a retried siteverify call does not spend the token twice. */
  idempotencyKey?: string;
}

/**
 * Verifies a Turnstile token. `missing`: no token (or an absurd one); `failed`:
 * siteverify said no; `unavailable`: siteverify could not be asked or answered
 * nonsense — the caller must refuse (fail closed), never let the request through.
 */
export async function verifyTurnstile(
  secret: string,
  token: string | undefined,
  options: VerifyOptions = {},
): Promise<Result<{ hostname?: string }, TurnstileError>> {
  if (!token || token.length > MAX_TOKEN_LENGTH) return err("missing");
  if (secret === TEST_SECRETS.pass) return ok({});
  if (secret === TEST_SECRETS.fail) return err("failed", "invalid-input-response");
  if (secret === TEST_SECRETS.spent) return err("failed", "timeout-or-duplicate");

  const form = new URLSearchParams({ secret, response: token });
  if (options.ip && options.ip !== "0.0.0.0") form.set("remoteip", options.ip);
  if (options.idempotencyKey) form.set("idempotency_key", options.idempotencyKey);
  let res: Response;
  try {
    res = await resilientFetch(
      SITEVERIFY_URL,
      { method: "POST", body: form },
      { purpose: "turnstile", traceparent: options.traceparent, timeoutMs: 3_000, retries: 1 },
    );
  } catch (error) {
    return err("unavailable", String(error));
  }
  if (!res.ok) {
    await res.body?.cancel();
    return err("unavailable", `siteverify answered ${res.status}`);
  }
  let body: { success?: unknown; hostname?: unknown; "error-codes"?: unknown };
  try {
    body = await res.json();
  } catch {
    return err("unavailable", "siteverify answered with something that is not JSON");
  }
  if (body.success === true)
    return ok(typeof body.hostname === "string" ? { hostname: body.hostname } : {});
  const codes = Array.isArray(body["error-codes"]) ? body["error-codes"].map(String) : [];
  // Cloudflare's own trouble is not the visitor's fault: ask them to retry, don't call them a bot.
  if (codes.includes("internal-error")) return err("unavailable", "siteverify internal-error");
  return err("failed", codes.join(",") || "rejected");
}
