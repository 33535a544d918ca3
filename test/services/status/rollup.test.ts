import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { getDatabase } from "../../../src/db/client.ts";
import { uuidv7 } from "../../../src/lib/ids.ts";
import { dayState, summarise } from "../../../src/services/status/page.ts";
import { lastDays, rollUp, rollUpDay } from "../../../src/services/status/rollup.ts";
import { type Session, seedUser } from "../../helpers.ts";

const db = getDatabase(env);
let owner: Session;
beforeAll(async () => {
  owner = await seedUser({ role: "operator" });
});

let n = 0;
async function server(tags: string[]) {
  const id = uuidv7();
  const now = new Date().toISOString();
  await env.DB.prepare(
    "insert into servers (id, owner_id, name, host, port, environment, tags, status, version, created_at, updated_at) values (?, ?, ?, 'h.example.com', 443, 'production', ?, 'up', 1, ?, ?)",
  )
    .bind(id, owner.user.id, `rollup-${++n}-${id}`, JSON.stringify(tags), now, now)
    .run();
  return id;
}

type Check = { status: "up" | "degraded" | "down"; latency: number | null; at: string };

async function serverChecks(serverId: string, checks: Check[]) {
  await env.DB.batch(
    checks.map((c) =>
      env.DB.prepare(
        "insert into server_checks (id, server_id, status, latency_ms, checked_at) values (?, ?, ?, ?, ?)",
      ).bind(uuidv7(), serverId, c.status, c.latency, c.at),
    ),
  );
}

async function componentChecks(component: string, checks: Check[]) {
  await env.DB.batch(
    checks.map((c) =>
      env.DB.prepare(
        "insert into component_checks (id, component, status, latency_ms, checked_at) values (?, ?, ?, ?, ?)",
      ).bind(uuidv7(), component, c.status, c.latency, c.at),
    ),
  );
}

const row = (kind: string, subject: string, day: string) =>
  env.DB.prepare(
    "select checks, successes, degraded, p50_ms, p95_ms from probe_daily where kind = ? and subject = ? and day = ?",
  )
    .bind(kind, subject, day)
    .first();

/** `count` checks spread over `day`, latencies given in a shuffled order. */
const spread = (day: string, latencies: (number | null)[], status: Check["status"] = "up") =>
  latencies.map((latency, i) => ({
    status,
    latency,
    at: `${day}T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00.000Z`,
  }));

describe("daily roll-up", () => {
  it("counts checks and successes and takes nearest-rank p50/p95 of the measured latencies", async () => {
    const day = "2026-03-10";
    const id = await server(["rollup-a"]);
    // 1..20 ms, shuffled; plus two down checks without a latency and one degraded.
    const latencies = [7, 3, 20, 1, 15, 9, 12, 4, 18, 2, 11, 6, 19, 5, 14, 8, 17, 10, 16, 13];
    await serverChecks(id, [
      ...spread(day, latencies),
      ...spread(day, [null, null], "down"),
      // The day before and the day after are not this day's.
      ...spread("2026-03-09", [999]),
      ...spread("2026-03-11", [999]),
    ]);
    await serverChecks(id, [{ status: "degraded", latency: 1500, at: `${day}T23:59:59.999Z` }]);
    await rollUpDay(db, day);
    // 21 measured latencies (1..20 and 1500): p50 = rank ⌈10.5⌉ = 11th = 11, p95 = rank ⌈19.95⌉ = 20th = 20.
    expect(await row("server", id, day)).toEqual({
      checks: 23,
      successes: 21,
      degraded: 1,
      p50_ms: 11,
      p95_ms: 20,
    });
  });

  it("rolls tags up across their servers and components on their own", async () => {
    const day = "2026-03-12";
    const a = await server(["rollup-b", "shared"]);
    const b = await server(["rollup-b"]);
    await serverChecks(a, spread(day, [100, 100, 100]));
    await serverChecks(b, [...spread(day, [200]), ...spread(day, [null], "down")]);
    await componentChecks("database", spread(day, [5, 6, 7, 8]));
    await rollUpDay(db, day);
    expect(await row("tag", "rollup-b", day)).toEqual({
      checks: 5,
      successes: 4,
      degraded: 0,
      p50_ms: 100,
      p95_ms: 200,
    });
    expect(await row("tag", "shared", day)).toMatchObject({ checks: 3, successes: 3 });
    expect(await row("component", "database", day)).toEqual({
      checks: 4,
      successes: 4,
      degraded: 0,
      p50_ms: 6,
      p95_ms: 8,
    });
  });

  it("a day with one check has that check as both percentiles; no latency at all gives null", async () => {
    const day = "2026-03-13";
    const one = await server([]);
    const none = await server([]);
    await serverChecks(one, spread(day, [42]));
    await serverChecks(none, spread(day, [null, null], "down"));
    await rollUpDay(db, day);
    expect(await row("server", one, day)).toMatchObject({ checks: 1, p50_ms: 42, p95_ms: 42 });
    expect(await row("server", none, day)).toEqual({
      checks: 2,
      successes: 0,
      degraded: 0,
      p50_ms: null,
      p95_ms: null,
    });
  });

  it("is idempotent: running a day again rewrites the same rows, and new checks are folded in", async () => {
    const day = "2026-03-14";
    const id = await server(["rollup-c"]);
    await serverChecks(id, spread(day, [10, 20, 30]));
    await rollUpDay(db, day);
    const first = await row("server", id, day);
    const count = () =>
      env.DB.prepare("select count(*) as n from probe_daily where day = ?").bind(day).first("n");
    const rows = await count();
    await rollUpDay(db, day);
    await rollUpDay(db, day);
    expect(await row("server", id, day)).toEqual(first);
    expect(await count()).toBe(rows);
    await serverChecks(id, spread(day, [null], "down"));
    await rollUpDay(db, day);
    expect(await row("server", id, day)).toMatchObject({ checks: 4, successes: 3, p50_ms: 20 });
  });

  it("runs incrementally: from the last day rolled up (within the 90 days) through today, redoing yesterday until settled", async () => {
    const now = Date.parse("2026-06-20T12:00:00.000Z");
    const id = await server(["rollup-d"]);
    await serverChecks(id, [
      ...spread("2026-06-15", [1]),
      ...spread("2026-06-19", [1]),
      ...spread("2026-06-20", [1]),
      ...spread("2026-06-21", [1]),
    ]);
    // Earlier tests rolled up March: the last day rolled up is before June, so this
    // run covers every day since then, through today.
    const days = await rollUp(db, now);
    expect(days.at(0)! <= "2026-06-15").toBe(true);
    expect(days.at(-1)).toBe("2026-06-20");
    expect(await row("server", id, "2026-06-15")).toMatchObject({ checks: 1 });
    // Later runs: today only, yesterday having been rolled up well after midnight…
    expect(await rollUp(db, now + 60_000)).toEqual(["2026-06-20"]);
    // …the day after: from the last day rolled up; yesterday is redone until a run
    // more than 10 minutes past midnight has done it.
    expect(await rollUp(db, Date.parse("2026-06-21T00:01:00.000Z"))).toEqual([
      "2026-06-20",
      "2026-06-21",
    ]);
    expect(await rollUp(db, Date.parse("2026-06-21T00:06:00.000Z"))).toEqual([
      "2026-06-20",
      "2026-06-21",
    ]);
    expect(await rollUp(db, Date.parse("2026-06-21T00:11:00.000Z"))).toEqual([
      "2026-06-20",
      "2026-06-21",
    ]);
    expect(await rollUp(db, Date.parse("2026-06-21T00:16:00.000Z"))).toEqual(["2026-06-21"]);
    expect(await row("server", id, "2026-06-21")).toMatchObject({ checks: 1 });
  });
});

describe("bars and uptime", () => {
  it("classifies a day: all up, partial (≥ 95 %), outage, no data", () => {
    expect(dayState(0, 0)).toBe("none");
    expect(dayState(288, 288)).toBe("up");
    expect(dayState(288, 274)).toBe("partial"); // 95.1 %
    expect(dayState(288, 273)).toBe("outage"); // 94.8 %
  });

  it("summarises 90 zero-filled days, uptime from the sums of checks, latency of the last complete day", () => {
    const days = lastDays(Date.parse("2026-11-30T10:00:00Z"), 90);
    expect(days).toHaveLength(90);
    expect(days[0]).toBe("2026-09-02");
    const rows = [
      { day: "2026-09-02", checks: 100, successes: 0 }, // outside the 30 days
      { day: "2026-11-30", checks: 100, successes: 99 },
    ].map((r) => ({
      kind: "component" as const,
      subject: "api",
      degraded: 0,
      p50Ms: 10,
      p95Ms: 20,
      updatedAt: "",
      ...r,
    }));
    const s = summarise(
      { id: "api", kind: "component", name: "API", state: "operational" },
      rows,
      days,
    );
    expect(s.days).toHaveLength(90);
    expect(s.days.filter((d) => d.state === "none")).toHaveLength(88);
    expect(s.days[0]!.state).toBe("outage");
    expect(s.days[89]).toMatchObject({ state: "partial", uptime: 0.99 });
    expect(s.uptime_90d).toBe(0.495);
    expect(s.uptime_30d).toBe(0.99);
    // Latency: the last complete day's, not today's partial one…
    expect(s.latency).toEqual({ date: "2026-09-02", p50_ms: 10, p95_ms: 20 });
    // …unless today is all there is.
    const today = summarise(
      { id: "api", kind: "component", name: "API", state: "operational" },
      rows.slice(1),
      days,
    );
    expect(today.latency?.date).toBe("2026-11-30");
  });
});
