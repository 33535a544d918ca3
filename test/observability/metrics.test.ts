import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_DEFAULTS } from "../../src/env.ts";
import { Flusher, flusher } from "../../src/observability/flush.ts";
import { MetricsRecorder } from "../../src/observability/metrics.ts";
import { fetchWith } from "../app/broken-env.ts";
import { api, expectProblem } from "../helpers.ts";

const TOKEN = DEVELOPMENT_DEFAULTS.METRICS_TOKEN;

async function scrape(): Promise<string> {
  const res = await api("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(res.headers.get("cache-control")).toBe("no-store");
  return res.text();
}

/** The value of one exposition line, by its exact series (labels sorted as rendered); 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("GET /metrics", () => {
  it("401 problem without the bearer METRICS_TOKEN, with a wrong one, or with a user's kind of header", async () => {
    await expectProblem(await api("/metrics"), 401, "unauthorized");
    for (const authorization of [
      "Bearer wrong-token-of-some-length",
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${btoa(`metrics:${TOKEN}`)}`,
      TOKEN,
    ]) {
      const res = await api("/metrics", { headers: { authorization } });
      const body = await expectProblem(res, 401, "unauthorized");
      expect(JSON.stringify(body)).not.toContain(TOKEN);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    }
  });

  it("uses the configured token outside development", async () => {
    const vars = {
      ENVIRONMENT: "production",
      JWT_SECRET: "Vq3xL8nR2tZ7cW5kP9mB4hJ6fD1sG0aYe",
      ENCRYPTION_KEY: "BwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSY=",
      METRICS_TOKEN: "mT7kQ2vX9pL4rZ8wN3cB6yH1",
      TURNSTILE_SECRET: "real-turnstile-secret",
    };
    const dev = await fetchWith(vars, "/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    await expectProblem(dev, 401);
    const ok = await fetchWith(vars, "/metrics", {
      headers: { authorization: `Bearer ${vars.METRICS_TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(
      /^edgepanel_build_info\{commit="[^"]*",version="\d+\.\d+\.\d+"\} 1$/m,
    );
  });

  it("sums counters and histograms across isolates' flushes", async () => {
    const before = await scrape();
    // Two isolates: each its own recorder and flusher, both flushing to the one METRICS object.
    const a = new MetricsRecorder();
    const b = new MetricsRecorder();
    const now = Date.now();
    for (let i = 0; i < 3; i++) a.recordRequest("GET", "/test/isolates", 200, 0.004, now);
    for (let i = 0; i < 4; i++) b.recordRequest("GET", "/test/isolates", 200, 0.3, now);
    a.increment("jobs_total", { type: "test.job", outcome: "succeeded" }, 2);
    b.increment("jobs_total", { outcome: "succeeded", type: "test.job" }, 5); // label order does not matter
    await Promise.all([new Flusher(a).flush(env.METRICS), new Flusher(b).flush(env.METRICS)]);
    // A second flush sends only what is new.
    a.recordRequest("GET", "/test/isolates", 200, 20, now);
    await new Flusher(a).flush(env.METRICS);
    const after = await scrape();
    const diff = (series: string) => sample(after, series) - sample(before, series);
    expect(diff('http_requests_total{method="GET",route="/test/isolates",status="200"}')).toBe(8);
    expect(diff('jobs_total{outcome="succeeded",type="test.job"}')).toBe(7);
    const h = 'http_request_duration_seconds_bucket{method="GET",route="/test/isolates",le=';
    expect(diff(`${h}"0.005"}`)).toBe(3);
    expect(diff(`${h}"0.25"}`)).toBe(3);
    expect(diff(`${h}"0.5"}`)).toBe(7);
    expect(diff(`${h}"10"}`)).toBe(7);
    expect(diff(`${h}"+Inf"}`)).toBe(8);
    expect(diff('http_request_duration_seconds_count{method="GET",route="/test/isolates"}')).toBe(
      8,
    );
    expect(
      diff('http_request_duration_seconds_sum{method="GET",route="/test/isolates"}'),
    ).toBeCloseTo(3 * 0.004 + 4 * 0.3 + 20, 6);
  });

  it("labels requests with the route template: 1,000 distinct server ids are one series", async () => {
    await flusher.flush(env.METRICS);
    const before = await scrape();
    const ids = Array.from({ length: 1000 }, () => crypto.randomUUID());
    for (let i = 0; i < ids.length; i += 50)
      await Promise.all(
        ids
          .slice(i, i + 50)
          .map((id) => fetchWith({ RATE_LIMITING: "off" }, `/api/v2/servers/${id}`)),
      );
    await flusher.flush(env.METRICS);
    const after = await scrape();
    const series = 'http_requests_total{method="GET",route="/api/v2/servers/:id",status="401"}';
    expect(sample(after, series) - sample(before, series)).toBe(1000);
    expect(
      after
        .split("\n")
        .filter(
          (l) => l.includes('route="/api/v2/servers/:id"') && l.startsWith("http_requests_total"),
        ),
    ).toHaveLength(after.includes('route="/api/v2/servers/:id",status="200"') ? 2 : 1);
    expect(ids.some((id) => after.includes(id))).toBe(false);
    expect(
      sample(after, 'http_errors_total{route="/api/v2/servers/:id",type="auth"}') -
        sample(before, 'http_errors_total{route="/api/v2/servers/:id",type="auth"}'),
    ).toBe(1000);
  });

  it("records nothing with METRICS_ENABLED=false (the benchmark's baseline)", async () => {
    await flusher.flush(env.METRICS);
    const before = await scrape();
    for (let i = 0; i < 5; i++) await fetchWith({ METRICS_ENABLED: "false" }, "/health/live");
    await fetchWith({}, "/health/live"); // and recording resumes with the switch off
    await flusher.flush(env.METRICS);
    const after = await scrape();
    const series = 'http_requests_total{method="GET",route="/health/live",status="200"}';
    expect(sample(after, series) - sample(before, series)).toBe(1);
  });

  it("keeps a failed flush's deltas for the next one", async () => {
    const r = new MetricsRecorder();
    r.increment("jobs_total", { type: "test.flaky", outcome: "dead" }, 4);
    const broken = {
      idFromName: () => ({}),
      get: () => ({
        ingest: async () => {
          throw new Error("METRICS unreachable");
        },
      }),
    } as unknown as DurableObjectNamespace<
      import("../../src/metrics/durable-object.ts").MetricsStore
    >;
    const f = new Flusher(r);
    await f.flush(broken);
    r.increment("jobs_total", { type: "test.flaky", outcome: "dead" }, 1);
    const before = await scrape();
    await f.flush(env.METRICS);
    const after = await scrape();
    const series = 'jobs_total{outcome="dead",type="test.flaky"}';
    expect(sample(after, series) - sample(before, series)).toBe(5);
    expect(r.counterValue("metrics_flush_failures_total")).toBe(1);
  });
});
