import { ALIASES, LABEL_RENAMES, METRICS } from "./catalogue.ts";

/**
 * In-isolate metric recording: the one place code records countable events. Each
 * isolate accumulates into preallocated cells and periodically sends the deltas
 * since its last flush to the METRICS Durable Object (see flush.ts), which sums
 * every isolate's deltas into the deployment's figures.
 *
 * The hot path is a Map lookup by a cheaply concatenated key and a few number
 * additions: a series' canonical name and sorted labels are computed once, when
 * it first appears in the isolate, never per increment.
 *
 * Module state is safe here: cells only ever grow, and losing them when an
 * isolate is recycled loses at most one flush interval of samples.
 */
interface CounterCell {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The value already sent to the METRICS object. */
  flushed: number;
}

interface HistogramCell {
  name: string;
  labels: Record<string, string>;
  bounds: readonly number[];
  /** Per-bucket (not cumulative) counts; the last is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
  flushedCounts: Float64Array;
  flushedSum: number;
  flushedCount: number;
}

/** One minute's request totals, for the per-minute series and anomaly detection. */
export interface MinuteCounts {
  /** Start of the minute, epoch ms. */
  minute: number;
  requests: number;
  errors_4xx: number;
  errors_5xx: number;
  rate_limited: number;
}

/** What an isolate sends the METRICS object: deltas since its previous flush. */
export interface FlushBatch {
  counters: { name: string; labels: Record<string, string>; delta: number }[];
  histograms: {
    name: string;
    labels: Record<string, string>;
    /** Per-bucket deltas, one per bound plus +Inf. */
    buckets: number[];
    sum: number;
    count: number;
  }[];
  minutes: MinuteCounts[];
}

/** The error type of a response, shared by the access log and the metrics. */
export type ErrorType = "none" | "client" | "auth" | "ratelimit" | "platform";

export const errorTypeOf = (status: number): ErrorType =>
  status < 400
    ? "none"
    : status >= 500
      ? "platform"
      : status === 429
        ? "ratelimit"
        : status === 401 || status === 403
          ? "auth"
          : "client";

/**
 * The `reason` label of auth_failures_total: the RFC 6750 error code of a 401's
 * challenge (invalid_token, invalid_request, invalid_signature), else the problem
 * type (rate_limited after too many failures, forbidden for a key used from a
 * refused address). A handful of values: bounded.
 */
export function authFailureReason(error: {
  problem: string;
  headers: Record<string, string>;
}): string {
  const challenge = error.headers["WWW-Authenticate"];
  return (challenge && /error="([a-z_]+)"/.exec(challenge)?.[1]) || error.problem;
}

function canonical(name: string, labels: Record<string, string>) {
  const alias = ALIASES[name];
  const out = alias
    ? { name: alias.name as string, labels: { ...labels, ...alias.labels } }
    : { name, labels: { ...labels } };
  const renames = LABEL_RENAMES[out.name];
  if (renames)
    for (const [from, to] of Object.entries(renames))
      if (from in out.labels) {
        out.labels[to] = out.labels[from]!;
        delete out.labels[from];
      }
  return out;
}

const MINUTE_MS = 60_000;

export class MetricsRecorder {
  /** False turns recording off (the benchmark's baseline); set per isolate from METRICS_ENABLED. */
  enabled = true;
  readonly #counters = new Map<string, CounterCell>();
  readonly #histograms = new Map<string, HistogramCell>();
  /** Minutes not yet flushed, oldest first (normally one or two). */
  #minutes: MinuteCounts[] = [];
  #current: MinuteCounts | undefined;

  #counter(key: string, name: string, labels: Record<string, string>): CounterCell {
    let cell = this.#counters.get(key);
    if (!cell) {
      cell = { ...canonical(name, labels), value: 0, flushed: 0 };
      this.#counters.set(key, cell);
    }
    return cell;
  }

  #histogram(key: string, name: string, labels: Record<string, string>): HistogramCell {
    let cell = this.#histograms.get(key);
    if (!cell) {
      const bounds = (METRICS as Record<string, { buckets?: readonly number[] }>)[name]?.buckets;
      if (!bounds) throw new Error(`${name} is not a histogram in the metrics catalogue`);
      cell = {
        ...canonical(name, labels),
        bounds,
        counts: new Float64Array(bounds.length + 1),
        sum: 0,
        count: 0,
        flushedCounts: new Float64Array(bounds.length + 1),
        flushedSum: 0,
        flushedCount: 0,
      };
      this.#histograms.set(key, cell);
    }
    return cell;
  }

  increment(name: string, labels: Record<string, string> = {}, by = 1): void {
    if (!this.enabled) return;
    let key = name;
    for (const k in labels) key += `|${k}=${labels[k]}`;
    this.#counter(key, name, labels).value += by;
  }

  /** Adds one observation to a histogram declared in the catalogue. */
  observe(name: string, labels: Record<string, string>, value: number): void {
    if (!this.enabled) return;
    let key = name;
    for (const k in labels) key += `|${k}=${labels[k]}`;
    observeInto(this.#histogram(key, name, labels), value);
  }

  /**
   * One answered request: its counter, its duration and the current minute's
   * totals. Labels are the route template, never the raw path, so the number of
   * series is bounded by the route table.
   */
  recordRequest(method: string, route: string, status: number, seconds: number, now: number) {
    if (!this.enabled) return;
    const base = `${method} ${route}`;
    const key = `${base} ${status}`;
    let counter = this.#counters.get(key);
    if (!counter) {
      const labels = { method, route, status: String(status) };
      counter = this.#counter(key, "http_requests_total", labels);
    }
    counter.value++;
    let histogram = this.#histograms.get(base);
    if (!histogram) {
      histogram = this.#histogram(base, "http_request_duration_seconds", { method, route });
    }
    observeInto(histogram, seconds);
    const minute = now - (now % MINUTE_MS);
    let m = this.#current;
    if (m?.minute !== minute) {
      m = { minute, requests: 0, errors_4xx: 0, errors_5xx: 0, rate_limited: 0 };
      this.#minutes.push(m);
      this.#current = m;
    }
    m.requests++;
    if (status >= 400) {
      if (status >= 500) m.errors_5xx++;
      else {
        m.errors_4xx++;
        if (status === 429) m.rate_limited++;
      }
      const errorKey = `E ${route} ${status}`;
      let errors = this.#counters.get(errorKey);
      if (!errors) {
        const labels = { route, type: errorTypeOf(status) };
        errors = this.#counter(errorKey, "http_errors_total", labels);
      }
      errors.value++;
    }
  }

  /** This isolate's running total of a counter (tests, and code that reports its own counts). */
  counterValue(name: string, labels: Record<string, string> = {}): number {
    let key = name;
    for (const k in labels) key += `|${k}=${labels[k]}`;
    return this.#counters.get(key)?.value ?? 0;
  }

  /**
   * The deltas since the previous collect, marked as sent; null when nothing
   * changed. Hand them back with {@link restore} if sending fails.
   */
  collect(): FlushBatch | null {
    const batch: FlushBatch = { counters: [], histograms: [], minutes: this.#minutes };
    for (const cell of this.#counters.values()) {
      if (cell.value === cell.flushed) continue;
      batch.counters.push({
        name: cell.name,
        labels: cell.labels,
        delta: cell.value - cell.flushed,
      });
      cell.flushed = cell.value;
    }
    for (const cell of this.#histograms.values()) {
      if (cell.count === cell.flushedCount) continue;
      const buckets = Array.from(cell.counts, (n, i) => n - cell.flushedCounts[i]!);
      batch.histograms.push({
        name: cell.name,
        labels: cell.labels,
        buckets,
        sum: cell.sum - cell.flushedSum,
        count: cell.count - cell.flushedCount,
      });
      cell.flushedCounts.set(cell.counts);
      cell.flushedSum = cell.sum;
      cell.flushedCount = cell.count;
    }
    this.#minutes = [];
    this.#current = undefined;
    if (!batch.counters.length && !batch.histograms.length && !batch.minutes.length) return null;
    return batch;
  }

  /** Puts a batch that could not be sent back, so the next flush carries it. */
  restore(batch: FlushBatch): void {
    for (const c of batch.counters) {
      for (const cell of this.#counters.values())
        if (cell.name === c.name && sameLabels(cell.labels, c.labels)) {
          cell.flushed -= c.delta;
          break;
        }
    }
    for (const h of batch.histograms) {
      for (const cell of this.#histograms.values())
        if (cell.name === h.name && sameLabels(cell.labels, h.labels)) {
          for (let i = 0; i < h.buckets.length; i++) cell.flushedCounts[i]! -= h.buckets[i]!;
          cell.flushedSum -= h.sum;
          cell.flushedCount -= h.count;
          break;
        }
    }
    // Older minutes go first; a minute still being counted merges with its restored part.
    const merged = [...batch.minutes, ...this.#minutes];
    this.#minutes = [];
    this.#current = undefined;
    for (const m of merged) {
      const last = this.#minutes.at(-1);
      if (last?.minute === m.minute) {
        last.requests += m.requests;
        last.errors_4xx += m.errors_4xx;
        last.errors_5xx += m.errors_5xx;
        last.rate_limited += m.rate_limited;
      } else this.#minutes.push({ ...m });
    }
    this.#current = this.#minutes.at(-1);
  }
}

function observeInto(cell: HistogramCell, value: number) {
  const bounds = cell.bounds;
  let i = 0;
  while (i < bounds.length && value > bounds[i]!) i++;
  cell.counts[i]!++;
  cell.sum += value;
  cell.count++;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** This isolate's recorder. */
export const recorder = new MetricsRecorder();

export function increment(name: string, labels: Record<string, string> = {}, by = 1): void {
  recorder.increment(name, labels, by);
}

export function observe(name: string, labels: Record<string, string>, value: number): void {
  recorder.observe(name, labels, value);
}

export function counterValue(name: string, labels: Record<string, string> = {}): number {
  return recorder.counterValue(name, labels);
}
