import type { Hono } from "hono";
import { hc } from "hono/client";
import type { BlankEnv } from "hono/types";
import type { AppSchema } from "./routes.gen.js";
import { signingFetch } from "./signature.js";

/** The API's routes as a Hono app type: what `hc` needs for typed calls. */
export type AppRoutes = Hono<BlankEnv, AppSchema, "/">;

/** A typed client: `client.api.v2.servers.$get({ query })`, `…[":id"].$patch({ param, json })`. */
export type EdgepanelClient = ReturnType<typeof hc<AppRoutes>>;

export interface ClientOptions {
  /** An API key (`ep_live_…`), sent as `X-API-Key`. */
  apiKey?: string;
  /** A user access token, sent as `Authorization: Bearer …` (ignored when `apiKey` is set). */
  token?: string;
  /**
   * The API key's signing secret: every request is then signed (`X-Signature`,
   * `X-Signature-Timestamp`, `X-Signature-Nonce`). Required for keys created with
   * `require_signature: true`.
   */
  signingSecret?: string;
  /** A custom fetch (tests, service bindings, retries). */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * Creates a typed edgepanel client on `hono/client`: paths, parameters, bodies and
 * responses (per status) are typed from the API's route definitions.
 *
 * @example
 * const api = createClient("https://panel.example.com", { apiKey: process.env.EDGEPANEL_KEY });
 * const res = await api.api.v2.servers.$get({ query: { tag: "eu-west", sort: "name" } });
 * if (res.status === 200) console.log((await res.json()).data);
 */
export function createClient(baseUrl: string, options: ClientOptions = {}): EdgepanelClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers["X-API-Key"] = options.apiKey;
  else if (options.token) headers.Authorization = `Bearer ${options.token}`;
  const base = options.fetch ?? ((input, init) => fetch(input, init));
  const send = options.signingSecret ? signingFetch(options.signingSecret, base) : base;
  return hc<AppRoutes>(baseUrl, { headers, fetch: send });
}
