import { env } from "cloudflare:workers";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDatabase } from "../../src/db/client.ts";
import { alerts, auditLogs } from "../../src/db/schema.ts";
import { EVALUATION_DELAY_MS } from "../../src/metrics/durable-object.ts";
import { metricsStub } from "../../src/observability/flush.ts";
import type { MinuteCounts } from "../../src/observability/metrics.ts";
import { noisy, seeded } from "./series.ts";

const MINUTE = 60_000;

describe("anomaly alerts from the METRICS object", () => {
  it("raises and clears alerts from the per-minute series it aggregates", async () => {
    const now = Date.now();
    const start = now - (now % MINUTE) - 50 * MINUTE;
    const random = seeded(42);
    // requests: flat → spike → calm → spike → calm; 5xx: a blip of 3 (under the minimum volume).
    const requests = [
      ...noisy(random, 100, 20),
      1500,
      ...noisy(random, 100, 8),
      900,
      ...noisy(random, 100, 8),
    ];
    const minutes: MinuteCounts[] = requests.map((n, i) => ({
      minute: start + i * MINUTE,
      requests: n,
      errors_4xx: 0,
      errors_5xx: i === 12 ? 3 : 0,
      rate_limited: 0,
    }));
    const stub = metricsStub(env.METRICS);
    // Two isolates' shares of the same minutes add up.
    const half = (m: MinuteCounts) => ({ ...m, requests: Math.floor(m.requests / 2) });
    const rest = (m: MinuteCounts) => ({
      ...m,
      requests: m.requests - Math.floor(m.requests / 2),
      errors_5xx: 0,
    });
    await stub.ingest({ counters: [], histograms: [], minutes: minutes.map(half) });
    await stub.ingest({ counters: [], histograms: [], minutes: minutes.map(rest) });

    await stub.evaluate(now);
    const db = getDatabase(env);
    const rows = await db.select().from(alerts).orderBy(asc(alerts.raisedAt)).all();
    expect(rows.map((r) => [r.metric, r.status, r.value, r.raisedAt])).toEqual([
      ["requests", "cleared", 1500, new Date(start + 20 * MINUTE).toISOString()],
      ["requests", "cleared", 900, new Date(start + 29 * MINUTE).toISOString()],
    ]);
    for (const r of rows) {
      expect(r.zScore).toBeGreaterThan(4);
      expect(r.mean).toBeGreaterThan(80);
      expect(r.mean).toBeLessThan(120);
    }
    const actions = await db
      .select({ action: auditLogs.action })
      .from(auditLogs)
      .where(eq(auditLogs.resourceType, "alert"))
      .all();
    expect(actions.map((a) => a.action).sort()).toEqual([
      "alert.cleared",
      "alert.cleared",
      "alert.raised",
      "alert.raised",
    ]);

    // Judged minutes are not judged again.
    await stub.evaluate(now + EVALUATION_DELAY_MS);
    expect(await db.$count(alerts)).toBe(2);
    const states = await stub.detectorStates();
    expect(states.requests!.open).toBe(false);
    expect(states.errors_5xx!.open).toBe(false);
  });
});
