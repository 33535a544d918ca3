import { describe, expect, it } from "vitest";
import { ReadySchema } from "../../src/routes/health/ready.ts";
import { fetchWith, throwingD1 } from "../app/broken-env.ts";
import { api, expectBody, expectProblem } from "../helpers.ts";

const down = () => Promise.reject(new Error("binding down"));
const never = () => new Promise<never>(() => {});

/** Each binding the probe reads, broken the way a failing binding fails. */
const BROKEN: [string, Record<string, unknown>, string][] = [
  ["D1", { DB: throwingD1() }, "d1"],
  ["KV", { CACHE: { get: down } }, "kv"],
  ["FILES", { FILES: { head: down } }, "r2_files"],
  ["BACKUPS", { BACKUPS: { head: down } }, "r2_backups"],
  [
    "RATE_LIMITER",
    { RATE_LIMITER: { idFromName: () => ({}), get: () => ({ peek: down }) }, RATE_LIMITING: "off" },
    "rate_limiter",
  ],
  [
    "METRICS",
    { METRICS: { idFromName: () => ({}), get: () => ({ ping: down, ingest: down }) } },
    "metrics",
  ],
  ["JOBS", { JOBS: { metrics: down, send: down, sendBatch: down } }, "queue"],
];

describe("GET /health/ready: every dependency", () => {
  it("reports the METRICS object and the queue producer with latencies", async () => {
    const body = await expectBody(await api("/health/ready"), 200, ReadySchema);
    for (const name of ["metrics", "queue"] as const) {
      expect(body.checks[name]).toMatchObject({ status: "ok" });
      expect(body.checks[name].latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it.each(BROKEN)(
    "is a 503 naming only the failed check when %s throws",
    async (_, overrides, check) => {
      const body = await expectProblem(
        await fetchWith(overrides, "/health/ready"),
        503,
        "service-unavailable",
      );
      expect(body.detail).toContain(check);
      const checks = (
        body as unknown as { checks: Record<string, { status: string; error?: string }> }
      ).checks;
      const failed = Object.entries(checks)
        .filter(([, c]) => c.status === "error")
        .map(([n]) => n);
      // A broken D1 also fails the audit-sealing check, which reads D1.
      expect(failed).toEqual(check === "d1" ? ["d1", "audit_sealing"] : [check]);
      expect(checks[check]!.error).toBe("check failed");
      expect(JSON.stringify(body)).not.toContain("binding down");
    },
  );

  it("gives each check a 1-second budget: a hung METRICS object fails alone, on time", async () => {
    const hung = {
      idFromName: () => ({}),
      get: () => ({ ping: never, ingest: never }),
    } as unknown as Env["METRICS"];
    const started = Date.now();
    const body = await expectProblem(await fetchWith({ METRICS: hung }, "/health/ready"), 503);
    expect(Date.now() - started).toBeLessThan(3_000);
    const checks = (
      body as unknown as {
        checks: Record<string, { status: string; latency_ms: number; error?: string }>;
      }
    ).checks;
    expect(checks.metrics).toMatchObject({ status: "error" });
    expect(checks.metrics!.latency_ms).toBeGreaterThanOrEqual(990);
    expect(checks.d1!.status).toBe("ok");
  });
});
