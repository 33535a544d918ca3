import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { ServerCheckListSchema } from "../../../src/routes/servers/checks.ts";
import { api, expectStatus, type Session, seedUser } from "../../helpers.ts";
import { createServer } from "./fixtures.ts";

let admin: Session;
let op: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  op = await seedUser({ role: "operator" });
});

/** Check rows as older probes wrote them: exact latencies and free-text errors. */
async function seedChecks(serverId: string) {
  const rows: [
    status: string,
    http: number | null,
    latency: number | null,
    error: string | null,
  ][] = [
    ["up", 200, 137, null],
    ["degraded", 200, 1_234, null],
    ["up", 204, 412, null],
    ["down", 503, 88, "HTTP 503"],
    ["down", null, null, "timeout"],
    ["down", null, null, "circuit open"],
    ["down", null, null, "TypeError: connect ECONNREFUSED 10.0.0.7:8443"],
  ];
  const base = Date.now() - 60_000;
  await env.DB.batch(
    rows.map(([status, http, latency, error], i) =>
      env.DB.prepare(
        "insert into server_checks (id, server_id, job_id, status, http_status, latency_ms, error, checked_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
      ).bind(uuidv7(), serverId, uuidv7(), status, http, latency, error, nowIso(base + i * 1000)),
    ),
  );
}

describe("GET /servers/{id}/checks", () => {
  it("owners see a latency bucket and a coarse error code, never exact milliseconds or raw error text", async () => {
    const s = await createServer(op.access_token, { health_check_url: "https://c.example.com/" });
    await seedChecks(s.id);
    const res = await api(`/api/v2/servers/${s.id}/checks`, { token: op.access_token });
    const body = ServerCheckListSchema.parse(await expectStatus(res, 200));
    const oldestFirst = body.data.toReversed();
    expect(oldestFirst.map((c) => [c.latency_bucket, c.error])).toEqual([
      ["under_300ms", null],
      ["1s_or_more", null],
      ["under_1s", null],
      ["under_300ms", "http_error"],
      [null, "unreachable"],
      [null, "circuit_open"],
      [null, "unreachable"],
    ]);
    expect(body.data.every((c) => c.latency_ms === null)).toBe(true);
    expect(oldestFirst[3]!.http_status).toBe(503);
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|10\.0\.0\.7/);
  });

  it("admins also see the exact latency", async () => {
    const s = await createServer(op.access_token, { health_check_url: "https://d.example.com/" });
    await seedChecks(s.id);
    const body = ServerCheckListSchema.parse(
      await expectStatus(
        await api(`/api/v2/servers/${s.id}/checks`, { token: admin.access_token }),
        200,
      ),
    );
    expect(body.data.toReversed().map((c) => c.latency_ms)).toEqual([
      137,
      1_234,
      412,
      88,
      null,
      null,
      null,
    ]);
    expect(body.data.map((c) => c.error)).not.toContain(
      "TypeError: connect ECONNREFUSED 10.0.0.7:8443",
    );
  });
});
