/**
 * Every metric /metrics exposes: its type, help text and (histograms) bucket
 * bounds. The recorder, the METRICS object and the exposition all read this one
 * table, so a metric's shape is declared once. Names follow Prometheus
 * conventions: `_total` counters, base units (seconds).
 */
export interface MetricDef {
  type: "counter" | "histogram" | "gauge";
  help: string;
  /** Upper bounds (le) of a histogram's buckets, ascending; +Inf is implied. */
  buckets?: readonly number[];
}

/** 5 ms … 10 s: a cached read is a few ms, the request time budget is 10 s. */
export const HTTP_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;
/** 10 ms … 10 min: a probe or an e-mail takes well under a second, an export minutes. */
export const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600] as const;
/** 100 ms … 1 h: how long a job waited in the queue (retries back off up to 10 min). */
export const QUEUE_LAG_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600] as const;

export const METRICS = {
  http_requests_total: {
    type: "counter",
    help: "HTTP requests answered, by method, matched route template and status code.",
  },
  http_request_duration_seconds: {
    type: "histogram",
    help: "Wall time from the request's arrival to its response, by method and route template.",
    buckets: HTTP_DURATION_BUCKETS,
  },
  http_errors_total: {
    type: "counter",
    help: "Error responses by error type (client, auth, ratelimit, platform) and route template.",
  },
  cache_requests_total: {
    type: "counter",
    help: "Cache lookups by cache (edge, or a response cache's name) and result (hit, miss, stale, …).",
  },
  ratelimit_decisions_total: {
    type: "counter",
    help: "Rate-limit decisions that did not simply admit: limited, fail_open (limiter unreachable, request admitted), fail_closed.",
  },
  jobs_total: {
    type: "counter",
    help: "Background job runs by type and outcome (succeeded, retried, dead, dropped).",
  },
  job_duration_seconds: {
    type: "histogram",
    help: "How long a job's handler ran, by type.",
    buckets: JOB_DURATION_BUCKETS,
  },
  queue_lag_seconds: {
    type: "histogram",
    help: "Time from a job's enqueueing to the start of this delivery, by type.",
    buckets: QUEUE_LAG_BUCKETS,
  },
  jobs_dead_lettered_total: {
    type: "counter",
    help: "Jobs handed to the dead-letter queue after their last retry.",
  },
  webhook_deliveries_total: {
    type: "counter",
    help: "Webhook delivery attempts by outcome (succeeded, retried, failed).",
  },
  auth_failures_total: {
    type: "counter",
    help: "Refused credentials by reason (invalid_token, expired_token, invalid_api_key, …).",
  },
  submissions_turnstile_total: {
    type: "counter",
    help: "Form submissions whose Turnstile verification failed, by outcome.",
  },
  submissions_honeypot_total: {
    type: "counter",
    help: "Form submissions caught by the honeypot field.",
  },
  metrics_flush_failures_total: {
    type: "counter",
    help: "Metric flushes from an isolate to the METRICS object that failed (their deltas are retried).",
  },
  edgepanel_build_info: {
    type: "gauge",
    help: "Always 1; the labels say which build answers.",
  },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRICS;

/**
 * Older counter names recorded by code that predates the catalogue, folded into
 * their catalogue metric with a label. Applied once per series (when it first
 * appears in an isolate), never per increment.
 */
export const ALIASES: Record<string, { name: MetricName; labels: Record<string, string> }> = {
  ratelimit_limited_total: { name: "ratelimit_decisions_total", labels: { result: "limited" } },
  ratelimit_fail_open_total: { name: "ratelimit_decisions_total", labels: { result: "fail_open" } },
  ratelimit_fail_closed_total: {
    name: "ratelimit_decisions_total",
    labels: { result: "fail_closed" },
  },
};

/** Label names renamed to the catalogue's, per metric (same rule: once per series). */
export const LABEL_RENAMES: Record<string, Record<string, string>> = {
  cache_requests_total: { outcome: "result" },
};

/** `name{a="1",b="2"}` with labels sorted and values escaped: one series' identity. */
export function seriesKey(name: string, labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (!keys.length) return name;
  return `${name}{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(",")}}`;
}

/** Label value escaping of the text exposition format 0.0.4. */
export const escapeLabel = (v: string) =>
  v.replaceAll("\\", "\\\\").replaceAll("\n", "\\n").replaceAll('"', '\\"');
