/**
 * What a health probe's outcome may say to the people who can read it. A probe
 * runs from edgepanel's network to a URL a user chose, so its result must not
 * work as a scanner: exact timings and network error texts tell an attacker
 * whether a port is open, filtered or closed and how far away a host is.
 * Owners get a status, the HTTP status code, a latency bucket and one of a few
 * error codes; the exact latency is kept for administrators.
 */

/** Coarse latency: the `degraded` threshold (1 s) is one of the edges. */
export const LATENCY_BUCKETS = ["under_300ms", "under_1s", "1s_or_more"] as const;
export type LatencyBucket = (typeof LATENCY_BUCKETS)[number];

export const latencyBucket = (ms: number | null): LatencyBucket | null =>
  ms === null ? null : ms < 300 ? "under_300ms" : ms < 1_000 ? "under_1s" : "1s_or_more";

/**
 * Why a probe came back `down`:
 * - `http_error`: the server answered 4xx/5xx (the code is in `http_status`);
 * - `unreachable`: no HTTP answer (DNS, connection, TLS or the 5 s timeout alike);
 * - `circuit_open`: skipped, the owner's recent probes of this host kept failing;
 * - `not_allowed`: the URL is refused by the outbound URL policy; nothing was sent.
 */
export const PROBE_ERRORS = ["http_error", "unreachable", "circuit_open", "not_allowed"] as const;
export type ProbeError = (typeof PROBE_ERRORS)[number];

/**
 * The public code for a stored error. Probes store these codes; rows written
 * before them hold "HTTP 503", "timeout", "circuit open" or other text, and
 * anything unrecognised reads as `unreachable` so no text ever passes through.
 */
export function probeErrorCode(stored: string | null): ProbeError | null {
  if (stored === null) return null;
  if ((PROBE_ERRORS as readonly string[]).includes(stored)) return stored as ProbeError;
  if (stored.startsWith("HTTP ")) return "http_error";
  if (stored === "circuit open") return "circuit_open";
  return "unreachable";
}
