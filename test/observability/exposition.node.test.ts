import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import { HTTP_DURATION_BUCKETS } from "../../src/observability/catalogue.ts";
import { EXPOSITION_CONTENT_TYPE, renderExposition } from "../../src/observability/exposition.ts";
import { MetricsRecorder } from "../../src/observability/metrics.ts";

type Parsed = {
  name: string;
  help: string;
  type: string;
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}[];

/** Records through a real recorder and renders what the METRICS object would hold after its flush. */
function exposition(record: (r: MetricsRecorder) => void): { text: string; parsed: Parsed } {
  const r = new MetricsRecorder();
  record(r);
  const batch = r.collect()!;
  const snapshot = {
    counters: batch.counters.map((c) => ({ name: c.name, labels: c.labels, value: c.delta })),
    histograms: batch.histograms,
  };
  const text = renderExposition(snapshot, { version: "1.2.3", commit: "abc123" });
  return { text, parsed: parsePrometheusTextFormat(text) as Parsed };
}

describe("Prometheus exposition (validated by parse-prometheus-text-format)", () => {
  it("parses: counters, histograms and build info, one HELP/TYPE per family", () => {
    const now = Date.now();
    const { text, parsed } = exposition((r) => {
      r.recordRequest("GET", "/api/v2/servers/:id", 200, 0.003, now);
      r.recordRequest("GET", "/api/v2/servers/:id", 200, 0.2, now);
      r.recordRequest("GET", "/api/v2/servers/:id", 404, 12, now);
      r.recordRequest("POST", "/api/v2/servers", 201, 0.05, now);
      r.increment("cache_requests_total", { cache: "servers:list", outcome: "hit" });
      r.increment("ratelimit_fail_open_total", { policy: "anonymous" });
      r.increment("auth_failures_total", { reason: "invalid_token" }, 3);
    });
    expect(EXPOSITION_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
    const byName = new Map(parsed.map((f) => [f.name, f]));
    const requests = byName.get("http_requests_total")!;
    expect(requests.type).toBe("COUNTER");
    expect(requests.metrics).toContainEqual({
      labels: { method: "GET", route: "/api/v2/servers/:id", status: "200" },
      value: "2",
    });
    expect(byName.get("cache_requests_total")!.metrics).toEqual([
      { labels: { cache: "servers:list", result: "hit" }, value: "1" },
    ]);
    // Legacy rate-limit counters are folded into ratelimit_decisions_total{result}.
    expect(byName.get("ratelimit_decisions_total")!.metrics).toEqual([
      { labels: { policy: "anonymous", result: "fail_open" }, value: "1" },
    ]);
    expect(byName.get("auth_failures_total")!.metrics[0]!.value).toBe("3");
    expect(byName.get("edgepanel_build_info")).toMatchObject({
      type: "GAUGE",
      metrics: [{ labels: { version: "1.2.3", commit: "abc123" }, value: "1" }],
    });
    const errors = byName.get("http_errors_total")!.metrics;
    expect(errors).toEqual([
      { labels: { route: "/api/v2/servers/:id", type: "client" }, value: "1" },
    ]);
    // One HELP and one TYPE line per family.
    for (const f of parsed) {
      expect(text.match(new RegExp(`^# TYPE ${f.name} `, "gm"))).toHaveLength(1);
      expect(f.help.length).toBeGreaterThan(10);
    }
  });

  it("histograms: cumulative buckets ending in +Inf, with _count = +Inf and a consistent _sum", () => {
    const now = Date.now();
    const durations = [0.001, 0.004, 0.006, 0.03, 0.03, 0.7, 3, 30];
    const { text } = exposition((r) => {
      for (const d of durations) r.recordRequest("GET", "/health/ready", 200, d, now);
      r.recordRequest("POST", "/api/v2/servers", 201, 0.02, now); // another series, same family
    });
    // The parser folds a labelled histogram's series together (and drops their
    // _sum/_count), so each series is checked on its own with its labels but `le`
    // removed: the lines must still parse as one complete histogram.
    const lines = text.split("\n");
    const family = lines.filter(
      (l) => l.startsWith("# ") && l.includes(" http_request_duration_seconds "),
    );
    const series = lines
      .filter(
        (l) => l.startsWith("http_request_duration_seconds") && l.includes('route="/health/ready"'),
      )
      .map((l) =>
        l
          .replace(/,?(method|route)="[^"]*"/g, "")
          .replace("{,", "{")
          .replace("{}", ""),
      );
    const [parsed] = parsePrometheusTextFormat(`${[...family, ...series].join("\n")}\n`) as Parsed;
    expect(parsed!.type).toBe("HISTOGRAM");
    const [h] = parsed!.metrics;
    const bounds = [...HTTP_DURATION_BUCKETS.map(String), "+Inf"];
    // (Object keys put integer-like bounds first: compare as sets; the text's order is checked below.)
    expect(new Set(Object.keys(h!.buckets!))).toEqual(new Set(bounds));
    expect(
      series.filter((l) => l.includes("_bucket")).map((l) => /le="([^"]+)"/.exec(l)![1]),
    ).toEqual(bounds);
    const counts = bounds.map((b) => Number(h!.buckets![b]));
    for (let i = 1; i < counts.length; i++)
      expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1]!);
    // Each bucket counts the observations ≤ its bound.
    for (const [i, b] of HTTP_DURATION_BUCKETS.entries())
      expect(counts[i], `le=${b}`).toBe(durations.filter((d) => d <= b).length);
    expect(counts.at(-1)).toBe(durations.length);
    expect(Number(h!.count)).toBe(durations.length);
    expect(Number(h!.sum)).toBeCloseTo(
      durations.reduce((a, b) => a + b, 0),
      9,
    );
    // The whole document parses too, one family for both series.
    const all = parsePrometheusTextFormat(text) as Parsed;
    expect(all.filter((f) => f.name === "http_request_duration_seconds")).toHaveLength(1);
  });

  it("escapes label values (quotes, backslashes, newlines) so they parse back unchanged", () => {
    const nasty = 'a "quoted" \\ back\nslash';
    const { parsed } = exposition((r) =>
      r.increment("jobs_total", { type: nasty, outcome: "dead" }),
    );
    const family = parsed.find((f) => f.name === "jobs_total")!;
    expect(family.metrics[0]!.labels).toEqual({ type: nasty, outcome: "dead" });
  });
});
