import { hc } from "hono/client";
import type { AppType } from "../app.ts";

export { signRequest } from "../services/auth/signature.ts";
export type { AppType };

export interface ClientOptions {
  /** An API key (`ep_live_…`), sent as X-API-Key. */
  apiKey?: string;
  /** A user access token, sent as a Bearer token. */
  token?: string;
  /** Custom fetch (tests, service bindings, retries). */
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

/**
 * A typed edgepanel client built on `hono/client`: paths, inputs and outputs come
 * from the server's own route definitions.
 *
 * @example
 * const api = createClient("https://panel.example.com", { apiKey: process.env.EDGEPANEL_KEY });
 * const res = await api.api.v2.servers.$get({ query: { limit: "20", sort: "name" } });
 * const { data } = await res.json();
 */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers["X-API-Key"] = options.apiKey;
  else if (options.token) headers.Authorization = `Bearer ${options.token}`;
  return hc<AppType>(baseUrl, { headers, ...(options.fetch ? { fetch: options.fetch } : {}) });
}
