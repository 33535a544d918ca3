import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/env.ts";
import { fetchWith } from "../../app/broken-env.ts";
import { api, createKey, expectProblem, expectStatus, seedUser } from "../../helpers.ts";
import { createServer, serverBody } from "./fixtures.ts";

/** The real Worker with a small server quota (development env otherwise). */
function withQuota(max: number, path: string, token: string, body?: unknown, method = "POST") {
  return fetchWith({ MAX_SERVERS_PER_OWNER: String(max) }, path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("servers per owner quota", () => {
  it("defaults to 1,000", async () => {
    const { env } = await import("cloudflare:workers");
    expect(loadConfig({ ...env }).MAX_SERVERS_PER_OWNER).toBe(1_000);
  });

  it("the create past the cap is a 403 quota_exceeded problem naming the limit; other owners are unaffected", async () => {
    const op = await seedUser({ role: "operator" });
    for (let i = 0; i < 2; i++)
      await expectStatus(await withQuota(2, "/api/v2/servers", op.access_token, serverBody()), 201);
    const res = await withQuota(2, "/api/v2/servers", op.access_token, serverBody());
    const problem = await expectProblem(res, 403, "quota-exceeded");
    expect(problem.detail).toContain("2 servers");
    expect(problem).toMatchObject({ quota: "servers_per_owner", limit: 2 });

    const legacy = await withQuota(2, "/api/v1/servers", op.access_token, {
      name: "v1-over-quota",
      hostname: "v1.example.com",
      port: 443,
      env: "production",
    });
    await expectProblem(legacy, 403, "quota-exceeded");

    const someoneElse = await seedUser({ role: "operator" });
    await expectStatus(
      await withQuota(2, "/api/v2/servers", someoneElse.access_token, serverBody()),
      201,
    );
  });

  it("is exact under concurrency: 20 creates racing for 5 slots make exactly 5 servers", async () => {
    const op = await seedUser({ role: "operator" });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        withQuota(5, "/api/v2/servers", op.access_token, serverBody()),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(5);
    expect(statuses.filter((s) => s === 403)).toHaveLength(15);
    const { env } = await import("cloudflare:workers");
    const owned = await env.DB.prepare(
      "select (select count(*) from servers where owner_id = ?1) as servers, (select count(*) from audit_logs where actor_id = ?1 and action = 'server.created') as audits",
    )
      .bind(op.user.id)
      .first<{ servers: number; audits: number }>();
    expect(owned).toEqual({ servers: 5, audits: 5 });
  });

  it("deleting a server frees a slot", async () => {
    const op = await seedUser({ role: "operator" });
    const first = await createServer(op.access_token);
    await expectProblem(
      await withQuota(1, "/api/v2/servers", op.access_token, serverBody()),
      403,
      "quota-exceeded",
    );
    await expectStatus(
      await api(`/api/v2/servers/${first.id}`, { method: "DELETE", token: op.access_token }),
      204,
    );
    await expectStatus(await withQuota(1, "/api/v2/servers", op.access_token, serverBody()), 201);
  });

  it("is documented on both create operations", async () => {
    const doc = await expectStatus<{
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    }>(await api("/openapi.json"), 200);
    for (const path of ["/api/v2/servers", "/api/v1/servers"])
      expect(doc.paths[path]!.post!.responses["403"]!.description, path).toMatch(/quota/i);
  });
});

describe("on-demand probes per owner", () => {
  // The real queue consumes the probes queued here a moment later: once their
  // servers are gone, those jobs end as "server deleted" without a request.
  const servers: string[] = [];
  afterAll(async () => {
    const { env } = await import("cloudflare:workers");
    for (const id of servers)
      await env.DB.prepare("delete from servers where id = ?").bind(id).run();
  });

  const probeNow = (id: string, auth: { token?: string; apiKey?: string }) =>
    api(`/api/v2/servers/${id}/checks`, { method: "POST", ...auth });

  it("10 a minute per owner, across servers and credentials, then 429 with Retry-After; other owners are unaffected", async () => {
    const op = await seedUser({ role: "operator" });
    const a = await createServer(op.access_token, { health_check_url: "https://a.quota.test/" });
    const b = await createServer(op.access_token, { health_check_url: "https://b.quota.test/" });
    const key = await createKey(op.access_token, { scopes: ["servers:write"] });
    servers.push(a.id, b.id);
    for (let i = 0; i < 10; i++) {
      const res = await probeNow(
        i % 2 ? a.id : b.id,
        i < 5 ? { token: op.access_token } : { apiKey: key.key },
      );
      await expectStatus(res, 202);
      expect(res.headers.get("ratelimit-policy")).toContain('"probes";q=10;w=60');
    }
    const refused = await probeNow(a.id, { apiKey: key.key });
    const problem = await expectProblem(refused, 429, "rate-limited");
    expect(problem.detail).toContain("probes");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

    const other = await seedUser({ role: "operator" });
    const theirs = await createServer(other.access_token, {
      health_check_url: "https://c.quota.test/",
    });
    servers.push(theirs.id);
    await expectStatus(await probeNow(theirs.id, { token: other.access_token }), 202);
  });
});
