import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { PRODUCTION_VARS, type Session, seedUser } from "../../helpers.ts";
import { deliver, job, mockOutbound, queuedJob } from "../helpers.ts";

let op: Session;
let other: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
  other = await seedUser({ role: "operator" });
});
afterEach(() => vi.restoreAllMocks());

/**
 * A server row written straight into D1, past the API's checks: how a URL saved
 * before the policy existed, or by a future bug, reaches the probe.
 */
async function serverInDb(url: string, ownerId = op.user.id) {
  const id = uuidv7();
  const now = nowIso();
  await env.DB.prepare(
    "insert into servers (id, owner_id, name, host, port, environment, tags, status, health_check_url, version, created_at, updated_at) values (?, ?, ?, 'h.example.com', 443, 'production', '[]', 'unknown', ?, 1, ?, ?)",
  )
    .bind(id, ownerId, `probe-${id}`, url, now, now)
    .run();
  return id;
}

const checkOf = (serverId: string) =>
  env.DB.prepare("select * from server_checks where server_id = ?")
    .bind(serverId)
    .first<Record<string, unknown>>();

async function probe(serverId: string, ownerId = op.user.id, overrides = {}) {
  const msg = await queuedJob("server.probe", { server_id: serverId }, ownerId);
  await deliver([msg], { overrides });
  const row = await job(msg.job_id);
  expect(row, "job row").toMatchObject({ status: "succeeded" });
  return JSON.parse(row!.result as string) as Record<string, unknown>;
}

describe("server.probe enforces the outbound URL policy at probe time", () => {
  it.each([
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://0xa9fea9fe/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00::1]/",
    "https://user:pw@example.com/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "gopher://example.com/",
  ])("a URL that slipped into the database (%j) is refused without any request", async (url) => {
    const id = await serverInDb(url);
    const spy = mockOutbound({ "": () => new Response("secret metadata") });
    const result = await probe(id);
    expect(spy).not.toHaveBeenCalled();
    expect(result).toMatchObject({ status: "down", error: "not_allowed", http_status: null });
    expect(await checkOf(id)).toMatchObject({
      status: "down",
      error: "not_allowed",
      http_status: null,
      latency_ms: null,
    });
  });

  it("in production loopback and odd ports are refused too; in development loopback is probed", async () => {
    const loopback = await serverInDb("http://127.0.0.1:9911/");
    const oddPort = await serverInDb("https://example.com:6379/");
    const spy = mockOutbound({ "http://127.0.0.1:9911/": () => new Response("ok") });
    for (const id of [loopback, oddPort])
      expect(await probe(id, op.user.id, PRODUCTION_VARS)).toMatchObject({ error: "not_allowed" });
    expect(spy).not.toHaveBeenCalled();

    expect(await probe(loopback)).toMatchObject({ status: "up", error: null });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("never follows a redirect", async () => {
    const id = await serverInDb("https://redirects.example.com/health");
    const spy = mockOutbound({
      "https://redirects.example.com/": () =>
        new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } }),
    });
    await probe(id);
    expect(spy).toHaveBeenCalledTimes(1);
    expect((spy.mock.calls[0]![1] as RequestInit).redirect).toBe("manual");
  });
});

describe("server.probe outcomes are coarse", () => {
  it("a network failure is 'unreachable', with no raw error text and no latency", async () => {
    const id = await serverInDb("https://refused.example.com:8443/");
    vi.spyOn(globalThis, "fetch").mockRejectedValue(
      new TypeError("connect ECONNREFUSED 203.0.113.5:8443 after 3 ms"),
    );
    const result = await probe(id);
    expect(result).toEqual({
      status: "down",
      previous: "unknown",
      http_status: null,
      latency_bucket: null,
      error: "unreachable",
    });
    const check = await checkOf(id);
    expect(check).toMatchObject({ error: "unreachable", latency_ms: null });
    expect(JSON.stringify([result, check])).not.toMatch(/ECONNREFUSED|203\.0\.113|after 3/);
  });

  it("an HTTP error keeps its status code, and the job result has a latency bucket, never milliseconds", async () => {
    const id = await serverInDb("https://http-error.example.com/");
    mockOutbound({ "https://http-error.example.com/": () => new Response("", { status: 404 }) });
    const result = await probe(id);
    expect(result).toMatchObject({
      status: "down",
      http_status: 404,
      error: "http_error",
      latency_bucket: "under_300ms",
    });
    expect(result).not.toHaveProperty("latency_ms");
  });
});

describe("server.probe breakers are per owner", () => {
  it("one owner's failing probes open its own breaker; another owner's probe of the same host still goes out", async () => {
    const mine = await serverInDb("https://flaky-shared.example.com/");
    const theirs = await serverInDb("https://flaky-shared.example.com/", other.user.id);
    const spy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("down"));
    const errors: unknown[] = [];
    for (let i = 0; i < 4; i++) errors.push((await probe(mine)).error);
    // 1 retry per probe, 5 failures open the breaker: the third probe is refused by it.
    expect(errors).toEqual(["unreachable", "unreachable", "circuit_open", "circuit_open"]);
    const callsBefore = spy.mock.calls.length;
    spy.mockResolvedValue(new Response("ok"));
    expect(await probe(theirs, other.user.id)).toMatchObject({ status: "up" });
    expect(spy.mock.calls.length).toBe(callsBefore + 1);
    // Each delivery also waits for its background work (cache tag writes to KV,
    // coalesced to one a second), which the queue test helper awaits.
  }, 20_000);
});
