import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getDatabase } from "../../../src/db/client.ts";
import { jobs, submissions, webhookEndpoints } from "../../../src/db/schema.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { flusher } from "../../../src/observability/flush.ts";
import { AdminStatsSchema } from "../../../src/routes/admin/stats.ts";
import { resetStatsCache } from "../../../src/services/stats/stats.ts";
import { api, expectBody, expectProblem, type Session, seedUser } from "../../helpers.ts";
import { createServer } from "../servers/fixtures.ts";

let admin: Session;
let operator: Session;
let viewer: Session;

beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
  viewer = await seedUser({ role: "viewer" });
});

beforeEach(() => resetStatsCache());

const stats = async () =>
  expectBody(
    await api("/api/v2/admin/stats", { token: admin.access_token }),
    200,
    AdminStatsSchema,
  );

describe("GET /api/v2/admin/stats", () => {
  it("is for admins only: 401 anonymous, 403 operator and viewer", async () => {
    await expectProblem(await api("/api/v2/admin/stats"), 401);
    await expectProblem(await api("/api/v2/admin/stats", { token: operator.access_token }), 403);
    await expectProblem(await api("/api/v2/admin/stats", { token: viewer.access_token }), 403);
  });

  it("counts users by role and servers by status and environment", async () => {
    const before = await stats();
    await seedUser({ role: "viewer" });
    await createServer(operator.access_token, { environment: "staging" });
    await createServer(operator.access_token, { environment: "production" });
    resetStatsCache();
    const after = await stats();
    expect(after.users.total).toBe(before.users.total + 1);
    expect(after.users.by_role.viewer).toBe(before.users.by_role.viewer! + 1);
    expect(after.users.by_role.admin).toBeGreaterThanOrEqual(1);
    expect(after.servers.total).toBe(before.servers.total + 2);
    expect(after.servers.by_status.unknown).toBe(before.servers.by_status.unknown! + 2);
    expect(after.servers.by_environment.staging).toBe(before.servers.by_environment.staging! + 1);
    expect(after.servers.by_environment.production).toBe(
      before.servers.by_environment.production! + 1,
    );
  });

  it("submissions per day: 30 zero-filled UTC days, oldest first, today last", async () => {
    const db = getDatabase(env);
    const now = Date.now();
    const row = (at: number) => ({
      id: uuidv7(at),
      name: "A",
      email: "a@example.com",
      message: "hello",
      createdAt: nowIso(at),
    });
    await db
      .insert(submissions)
      .values([row(now), row(now), row(now - 2 * 86_400_000), row(now - 40 * 86_400_000)]);
    const s = await stats();
    expect(s.submissions_per_day).toHaveLength(30);
    expect(s.submissions_per_day.at(-1)).toEqual({ date: nowIso(now).slice(0, 10), count: 2 });
    expect(s.submissions_per_day.at(-3)!.count).toBe(1);
    const dates = s.submissions_per_day.map((d) => d.date);
    expect([...dates].sort()).toEqual(dates);
    expect(s.submissions_per_day.reduce((a, d) => a + d.count, 0)).toBe(3); // 40 days ago is out
  });

  it("jobs: queue depth, failures and the latest failures first", async () => {
    const db = getDatabase(env);
    const at = (ms: number) => nowIso(Date.now() - ms);
    const job = (
      status: "queued" | "failed" | "dead",
      ago: number,
      error: string | null = null,
    ) => ({
      id: uuidv7(),
      type: "webhook.deliver",
      status,
      payload: {},
      lastError: error,
      createdAt: at(ago),
      updatedAt: at(ago),
    });
    const before = await stats();
    await db
      .insert(jobs)
      .values([
        job("queued", 0),
        job("failed", 5_000, "Error: older"),
        job("dead", 1_000, "Error: newest"),
      ]);
    resetStatsCache();
    const s = await stats();
    expect(s.jobs.queued).toBe(before.jobs.queued + 1);
    expect(s.jobs.failed).toBe(before.jobs.failed + 2);
    expect(s.jobs.recent_failures[0]).toMatchObject({
      type: "webhook.deliver",
      error: "Error: newest",
    });
    expect(s.jobs.recent_failures[1]!.error).toBe("Error: older");
  });

  it("webhooks: failing endpoints, most failures first", async () => {
    const db = getDatabase(env);
    const endpoint = (failures: number, enabled: boolean) => ({
      id: uuidv7(),
      ownerId: operator.user.id,
      url: `https://hooks.example.com/${failures}`,
      secretEnc: "x",
      events: ["*"],
      enabled,
      consecutiveFailures: failures,
      createdAt: nowIso(),
      updatedAt: nowIso(),
    });
    await db
      .insert(webhookEndpoints)
      .values([endpoint(0, true), endpoint(3, true), endpoint(7, false)] as never);
    const s = await stats();
    expect(s.webhooks.failing_endpoints.map((e) => [e.consecutive_failures, e.disabled])).toEqual([
      [7, true],
      [3, false],
    ]);
    expect(s.webhooks.success_rate === null || s.webhooks.success_rate <= 1).toBe(true);
  });

  it("requests per minute come from the METRICS object: 60 zero-filled minutes, errors split", async () => {
    await flusher.flush(env.METRICS);
    const before = await stats();
    await api("/api/v2/servers", { token: viewer.access_token }); // 200
    await api("/api/v2/servers/not-a-server", { token: viewer.access_token }); // 404
    await api("/api/v2/admin/stats", { token: viewer.access_token }); // 403
    await flusher.flush(env.METRICS);
    resetStatsCache();
    const s = await stats();
    expect(s.requests_per_minute).toHaveLength(60);
    const minutes = s.requests_per_minute.map((m) => Date.parse(m.minute));
    expect(minutes.every((m, i) => i === 0 || m - minutes[i - 1]! === 60_000)).toBe(true);
    expect(Date.now() - minutes.at(-1)!).toBeLessThan(60_000);
    const sum = (x: typeof s, k: "requests" | "errors_4xx" | "errors_5xx") =>
      x.requests_per_minute.reduce((a, m) => a + m[k], 0);
    // This test's three requests plus the stats request before them, at least.
    expect(sum(s, "requests") - sum(before, "requests")).toBeGreaterThanOrEqual(4);
    expect(sum(s, "errors_4xx") - sum(before, "errors_4xx")).toBeGreaterThanOrEqual(2);
    expect(s.cache.hit_ratio === null || (s.cache.hit_ratio >= 0 && s.cache.hit_ratio <= 1)).toBe(
      true,
    );
  });

  it("is cached for 10 seconds", async () => {
    const first = await stats();
    await seedUser({ role: "operator" });
    const second = await stats();
    expect(second.generated_at).toBe(first.generated_at);
    expect(second.users.total).toBe(first.users.total);
  });

  it("is a 503 problem when the METRICS object fails", async () => {
    const { fetchWith } = await import("../../app/broken-env.ts");
    const down = () => Promise.reject(new Error("metrics down"));
    const broken = {
      idFromName: () => ({}),
      get: () => ({ snapshot: down, minutes: down, rateLimitedSince: down, ingest: down }),
    } as unknown as Env["METRICS"];
    const res = await fetchWith({ METRICS: broken }, "/api/v2/admin/stats", {
      headers: { authorization: `Bearer ${admin.access_token}` },
    });
    const body = await expectProblem(res, 503, "service-unavailable");
    expect(body.detail).toContain("metrics");
  });
});
