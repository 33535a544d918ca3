import { Webhook } from "standardwebhooks";
import { decrypt, encrypt, type Keyring } from "../../lib/crypto.ts";
import { randomBytes, toBase64 } from "../../lib/encoding.ts";

/** AAD for the encrypted secret columns: a ciphertext moved to another column does not decrypt. */
export const SECRET_CONTEXT = "webhook_endpoints.secret";
export const PREVIOUS_SECRET_CONTEXT = "webhook_endpoints.previous_secret";

/** How long the secret before a rotation keeps signing, so receivers can switch without a gap. */
export const ROTATION_GRACE_MS = 24 * 60 * 60_000;

/** A Standard Webhooks secret: `whsec_` + base64 of 24 random bytes (192 bits). */
export const newWebhookSecret = (): string => `whsec_${toBase64(randomBytes(24))}`;

export const encryptSecret = (ring: Keyring, secret: string, context = SECRET_CONTEXT) =>
  encrypt(ring, secret, context);

/**
 * The secrets that sign a delivery now: the current one, and the one it replaced
 * while the rotation's grace period lasts.
 */
export async function signingSecrets(
  ring: Keyring,
  endpoint: {
    secretEnc: string;
    previousSecretEnc: string | null;
    previousSecretExpiresAt: string | null;
  },
  now = Date.now(),
): Promise<string[]> {
  const secrets = [await decrypt(ring, endpoint.secretEnc, SECRET_CONTEXT)];
  if (
    endpoint.previousSecretEnc &&
    endpoint.previousSecretExpiresAt &&
    Date.parse(endpoint.previousSecretExpiresAt) > now
  )
    secrets.push(await decrypt(ring, endpoint.previousSecretEnc, PREVIOUS_SECRET_CONTEXT));
  return secrets;
}

/**
 * The three Standard Webhooks headers for one attempt, signed by the reference
 * implementation (`standardwebhooks`) with every secret given: signatures are
 * space-separated, and a receiver accepts the delivery when any one matches.
 */
export function signedHeaders(
  secrets: string[],
  id: string,
  body: string,
  at: Date,
): Record<"webhook-id" | "webhook-timestamp" | "webhook-signature", string> {
  return {
    "webhook-id": id,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": secrets.map((s) => new Webhook(s).sign(id, at, body)).join(" "),
  };
}
