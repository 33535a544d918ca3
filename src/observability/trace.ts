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

const randomHex = (bytes: number): string => {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
};

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

/** Continues the inbound trace (if valid) or starts a new sampled one. */
export function startSpan(inbound: string | null | undefined): TraceContext {
  const parent = parseTraceparent(inbound);
  const traceId = parent?.traceId ?? randomHex(16);
  const spanId = randomHex(8);
  const sampled = parent ? (parent.flags & 1) === 1 : true;
  return {
    traceId,
    parentSpanId: parent?.spanId,
    spanId,
    sampled,
    traceparent: `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`,
  };
}
