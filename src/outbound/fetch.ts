import { CircuitBreaker } from "./circuit-breaker.ts";
import {
  checkOutboundUrl,
  type UrlPolicy,
  type UrlPurpose,
  type UrlRefusal,
} from "./url-policy.ts";

/**
 * The one way edgepanel calls the outside world (health probes, e-mail, OAuth
 * follow-ups, webhooks, purge): a timeout per attempt, retries with exponential
 * backoff and full jitter on network errors, 5xx and 429 (honouring Retry-After),
 * a circuit breaker per purpose and host, and `traceparent` propagated.
 *
 * Every call says what it is for. Calls to URLs a user supplied (probes,
 * webhooks) also name the tenant and carry the outbound URL policy: the URL is
 * checked right before the first attempt (a refused one never leaves the Worker),
 * redirects are never followed, and their breakers are per tenant, so one tenant's
 * failing targets cannot open a breaker for anyone else or for the product's own
 * calls to the same host.
 */
export type OutboundPurpose = UrlPurpose | "email" | "oauth" | "purge" | "turnstile";

/** A call to a URL the product chose (a provider, Cloudflare's API). */
interface OwnTarget {
  purpose: Exclude<OutboundPurpose, UrlPurpose>;
}

/** A call to a URL a user supplied. */
interface UserTarget {
  purpose: UrlPurpose;
  /** Whose URL this is (the owner id): breakers are kept per tenant. */
  tenant: string;
  urlPolicy: UrlPolicy;
}

export type ResilientOptions = (OwnTarget | UserTarget) & {
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  traceparent?: string | undefined;
  /** Injected for tests; otherwise the isolate's breaker for the purpose. */
  breaker?: CircuitBreaker;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

export class CircuitOpenError extends Error {
  readonly host: string;
  readonly retryInMs: number;
  constructor(host: string, retryInMs: number) {
    super(`circuit open for ${host}`);
    this.name = "CircuitOpenError";
    this.host = host;
    this.retryInMs = retryInMs;
  }
}

/** A user-supplied URL the outbound URL policy refuses; nothing was sent. */
export class OutboundUrlRefusedError extends Error {
  readonly reason: UrlRefusal;
  constructor(reason: UrlRefusal, detail: string) {
    super(`outbound URL refused: ${detail}`);
    this.name = "OutboundUrlRefusedError";
    this.reason = reason;
  }
}

// One breaker per purpose, shared by every call in this isolate (see
// circuit-breaker.ts for why that is safe). Probe and webhook breakers are keyed by
// tenant and host, so they remember more keys.
const breakers: Record<OutboundPurpose, CircuitBreaker> = {
  probe: new CircuitBreaker({ maxEntries: 10_000 }),
  webhook: new CircuitBreaker({ maxEntries: 10_000 }),
  email: new CircuitBreaker(),
  oauth: new CircuitBreaker(),
  purge: new CircuitBreaker(),
  turnstile: new CircuitBreaker(),
};

const RETRYABLE = (status: number) => status === 429 || status >= 500;

/** Backoff for attempt n (0-based): full jitter in [0, min(max, base·2ⁿ)]. */
export const backoffMs = (attempt: number, base: number, max: number, random = Math.random) =>
  Math.floor(random() * Math.min(max, base * 2 ** attempt));

function retryAfterMs(res: Response, max: number): number | null {
  const h = res.headers.get("retry-after");
  if (!h) return null;
  const seconds = Number(h);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(h) - Date.now();
  return Number.isFinite(ms) ? Math.min(max, Math.max(0, ms)) : null;
}

/**
 * Fetches with timeout, retries, breaker and trace propagation (see the module
 * comment). Throws {@link OutboundUrlRefusedError} for a user-supplied URL the
 * policy refuses, {@link CircuitOpenError} while the breaker is open, or the last
 * network error.
 */
export async function resilientFetch(
  input: string | URL,
  init: RequestInit,
  options: ResilientOptions,
): Promise<Response> {
  const {
    timeoutMs = 5_000,
    retries = 2,
    baseDelayMs = 200,
    maxDelayMs = 5_000,
    traceparent,
    breaker = breakers[options.purpose],
    sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
    random = Math.random,
  } = options;
  let url: URL;
  let requestInit = init;
  if ("urlPolicy" in options) {
    const verdict = checkOutboundUrl(input, options.urlPolicy);
    if (!verdict.ok) throw new OutboundUrlRefusedError(verdict.error, verdict.detail ?? "");
    url = verdict.value;
    // A redirect could lead anywhere the policy refuses: the caller gets the 3xx.
    requestInit = { ...init, redirect: "manual" };
  } else {
    url = new URL(input);
  }
  const host = url.host;
  const key = "tenant" in options ? `${options.tenant} ${host}` : host;
  const headers = new Headers(requestInit.headers);
  if (traceparent) headers.set("traceparent", traceparent);

  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (!breaker.allow(key)) throw new CircuitOpenError(host, breaker.retryInMs(key));
    let res: Response;
    try {
      res = await fetch(url, { ...requestInit, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      breaker.failure(key);
      lastError = error;
      if (attempt < retries) await sleep(backoffMs(attempt, baseDelayMs, maxDelayMs, random));
      continue;
    }
    if (!RETRYABLE(res.status)) {
      breaker.success(key);
      return res;
    }
    breaker.failure(key);
    if (attempt === retries) return res;
    const wait =
      retryAfterMs(res, maxDelayMs) ?? backoffMs(attempt, baseDelayMs, maxDelayMs, random);
    await res.body?.cancel();
    await sleep(wait);
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
