/**
 * When a failed delivery is tried again: after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
 * and 10 h (about 28 hours in all, 8 attempts), each ±10 % so that many deliveries
 * failing together do not come back together. After the last one the delivery is
 * `failed`.
 */
export const RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE_SECONDS.length + 1;

/** Queues accept delays up to 12 hours. */
export const MAX_DELAY_SECONDS = 43_200;

/** Seconds before attempt `attempt + 1` after attempt `attempt` (1-based) failed, or null after the last. */
export function retryDelaySeconds(
  attempt: number,
  retryAfterSeconds: number | null = null,
  random = Math.random,
): number | null {
  if (attempt >= MAX_ATTEMPTS) return null;
  // A receiver that says when to come back (429/503 Retry-After) is taken at its word.
  if (retryAfterSeconds !== null)
    return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(retryAfterSeconds)));
  const base = RETRY_SCHEDULE_SECONDS[attempt - 1]!;
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.round(base * (0.9 + random() * 0.2))));
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, (at - now) / 1000) : null;
}

/** Statuses worth another attempt: timeouts, rate limits and server errors. */
export const isRetryableStatus = (status: number) =>
  status === 408 || status === 429 || status >= 500;

/**
 * An endpoint is disabled when its deliveries have failed for this long without a
 * success in between, or when this many deliveries in a row ended `failed`.
 */
export const DISABLE_AFTER_MS = 3 * 24 * 60 * 60_000;
export const DISABLE_AFTER_FAILED_DELIVERIES = 50;
