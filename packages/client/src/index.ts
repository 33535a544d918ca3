/**
 * @edgepanel/client: a typed client for the edgepanel API, request signing for API
 * keys, and verification of edgepanel's webhooks.
 */
export {
  type AppRoutes,
  type ClientOptions,
  createClient,
  type EdgepanelClient,
} from "./client.js";
export type { AppSchema } from "./routes.gen.js";
export {
  type SignatureHeaders,
  type SignRequestInput,
  signingFetch,
  signRequest,
} from "./signature.js";
export {
  verifyWebhook,
  type WebhookEvent,
  type WebhookHeaders,
  WebhookVerificationError,
} from "./webhooks.js";
