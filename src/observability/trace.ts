import { toHex } from "../lib/encoding.ts";

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): we continue an inbound
 * trace or start one, and mint our own span id so outbound calls and queued jobs
 * carry `traceparent` with this Worker as their parent.
 */
export interface TraceContext {
  traceId: string;
  /** The caller's span id, when the request carried a valid traceparent. */
  parentSpanId: string | undefined;
  /** This request's span id. */
  spanId: string;
  sampled: boolean;
  /** The header value to send on outbound calls and jobs. */
  traceparent: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a traceparent header; returns null for anything the spec says to ignore. */
function parseTraceparent(
  header: string | null | undefined,
): { traceId: string; spanId: string; flags: number } | null {
  if (!header) return null;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m) return null;
  // Every group is required by the pattern; the defaults only satisfy the index types.
  const [, version = "", traceId = "", spanId = "", flags = ""] = m;
  if (version === "ff") return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return null;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** Random bytes a span needs: its span id (8), then a new trace's id (16). */
export const SPAN_RANDOM_BYTES = 24;

/**
 * Continues the inbound trace (if valid) or starts a new sampled one. `random` is
 * {@link SPAN_RANDOM_BYTES} bytes the caller drew (the request's one draw), or none.
 */
export function startSpan(
  inbound: string | null | undefined,
  random: Uint8Array = crypto.getRandomValues(new Uint8Array(SPAN_RANDOM_BYTES)),
): TraceContext {
  const parent = parseTraceparent(inbound);
  const spanId = toHex(random, 0, 8);
  const traceId = parent?.traceId ?? toHex(random, 8, 24);
  const sampled = parent ? (parent.flags & 1) === 1 : true;
  return {
    traceId,
    parentSpanId: parent?.spanId,
    spanId,
    sampled,
    traceparent: `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`,
  };
}
