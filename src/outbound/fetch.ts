import { CircuitBreaker } from "./circuit-breaker.ts";

/**
 * The one way edgepanel calls the outside world (health probes, e-mail, OAuth
 * follow-ups, webhooks, purge): a timeout per attempt, retries with exponential
 * backoff and full jitter on network errors, 5xx and 429 (honouring Retry-After),
 * a per-host circuit breaker, and `traceparent` propagated.
 */
export interface ResilientOptions {
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  traceparent?: string | undefined;
  breaker?: CircuitBreaker;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

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

// Shared by every call in this isolate (see circuit-breaker.ts for why that is safe).
export const defaultBreaker = new CircuitBreaker();

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

export async function resilientFetch(
  input: string | URL,
  init: RequestInit = {},
  options: ResilientOptions = {},
): Promise<Response> {
  const {
    timeoutMs = 5_000,
    retries = 2,
    baseDelayMs = 200,
    maxDelayMs = 5_000,
    traceparent,
    breaker = defaultBreaker,
    sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
    random = Math.random,
  } = options;
  const url = new URL(input);
  const host = url.host;
  const headers = new Headers(init.headers);
  if (traceparent) headers.set("traceparent", traceparent);

  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (!breaker.allow(host)) throw new CircuitOpenError(host, breaker.retryInMs(host));
    let res: Response;
    try {
      res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      breaker.failure(host);
      lastError = error;
      if (attempt < retries) await sleep(backoffMs(attempt, baseDelayMs, maxDelayMs, random));
      continue;
    }
    if (!RETRYABLE(res.status)) {
      breaker.success(host);
      return res;
    }
    breaker.failure(host);
    if (attempt === retries) return res;
    const wait =
      retryAfterMs(res, maxDelayMs) ?? backoffMs(attempt, baseDelayMs, maxDelayMs, random);
    await res.body?.cancel();
    await sleep(wait);
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
