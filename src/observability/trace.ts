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

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const hex = (bytes: Uint8Array, from: number, to: number): string => {
  let out = "";
  for (let i = from; i < to; i++) out += HEX[bytes[i]!];
  return out;
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
  // One draw for both ids (the span id's 8 bytes, then a trace id's 16 if needed).
  const random = crypto.getRandomValues(new Uint8Array(parent ? 8 : 24));
  const spanId = hex(random, 0, 8);
  const traceId = parent?.traceId ?? hex(random, 8, 24);
  const sampled = parent ? (parent.flags & 1) === 1 : true;
  return {
    traceId,
    parentSpanId: parent?.spanId,
    spanId,
    sampled,
    traceparent: `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`,
  };
}
