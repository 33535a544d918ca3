import { WebhookVerificationError as StandardWebhooksError, Webhook } from "standardwebhooks";

/** Thrown by {@link verifyWebhook} when a delivery is not authentic or is too old. */
export class WebhookVerificationError extends Error {
  override name = "WebhookVerificationError";
}

/**
 * The body of every edgepanel webhook delivery. `id` is also the `webhook-id` header
 * (the same on every retry: deduplicate on it); `type` is the event type, e.g.
 * `server.created`; `data` is the resource the event is about.
 */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  /** When the event happened (RFC 3339). */
  timestamp: string;
  data: T;
}

/** Request headers as any runtime hands them over: `Headers`, or Node's plain object. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const utf8 = new TextDecoder();

function headerRecord(headers: WebhookHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof Headers !== "undefined" && headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name] = value;
    });
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      out[name.toLowerCase()] = Array.isArray(value) ? value.join(" ") : value;
  }
  return out;
}

/**
 * Verifies a webhook delivery from edgepanel (the Standard Webhooks scheme, through the
 * `standardwebhooks` reference implementation) and returns its parsed JSON payload.
 *
 * Checks the `webhook-signature` (HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`
 * with the endpoint's `whsec_…` secret; any of several space-separated signatures may
 * match, so secret rotation works) and that `webhook-timestamp` is within 5 minutes.
 * Pass the raw body exactly as received: a re-serialised JSON object will not match.
 * Use `webhook-id` to ignore a delivery you have already processed.
 *
 * @throws {WebhookVerificationError} when headers are missing, the timestamp is out of
 *   range, or no signature matches.
 * @throws {TypeError} when `secret` is not `whsec_` followed by base64.
 *
 * @example
 * // in a Hono, Workers or any fetch-style handler
 * const body = await request.text();
 * try {
 *   const event = verifyWebhook(process.env.EDGEPANEL_WEBHOOK_SECRET, request.headers, body);
 * } catch (err) {
 *   if (err instanceof WebhookVerificationError) return new Response(null, { status: 400 });
 *   throw err;
 * }
 */
export function verifyWebhook<T = WebhookEvent>(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array | ArrayBuffer,
): T {
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch (cause) {
    throw new TypeError("The webhook secret must be `whsec_` followed by base64", { cause });
  }
  const payload = typeof body === "string" ? body : utf8.decode(body);
  try {
    return webhook.verify(payload, headerRecord(headers)) as T;
  } catch (cause) {
    if (cause instanceof StandardWebhooksError) {
      throw new WebhookVerificationError(cause.message, { cause });
    }
    // A verified body that is not JSON: the delivery is authentic but unusable.
    if (cause instanceof SyntaxError) {
      throw new WebhookVerificationError("The webhook body is not JSON", { cause });
    }
    throw cause;
  }
}
