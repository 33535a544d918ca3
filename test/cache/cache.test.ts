import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { invalidate } from "../../src/cache/http.ts";
import { TieredCache } from "../../src/cache/tiered-cache.ts";
import { counterValue } from "../../src/observability/metrics.ts";
import { fetchWith, throwingD1 } from "../app/broken-env.ts";
import { api, createKey, expectProblem, expectStatus, type Session, seedUser } from "../helpers.ts";
import { createServer } from "../routes/servers/fixtures.ts";

let admin: Session;
let alice: Session;
let bob: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  alice = await seedUser({ role: "operator" });
  bob = await seedUser({ role: "operator" });
});
afterEach(() => vi.restoreAllMocks());

type Page = { data: { id: string; name: string; owner_id: string }[] };

describe("server reads through the cache", () => {
  it("a miss, then hits, with X-Cache and Cache-Status", async () => {
    await createServer(alice.access_token, { name: "cache-a1" });
    const first = await api("/api/v2/servers?limit=7", { token: alice.access_token });
    await expectStatus(first, 200);
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(first.headers.get("cache-status")).toBe("edgepanel; fwd=miss; stored");
    const second = await api("/api/v2/servers?limit=7", { token: alice.access_token });
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(second.headers.get("cache-status")).toMatch(/^edgepanel; hit; ttl=\d+$/);
    expect(second.headers.get("cache-control")).toBe("private, no-cache");
    expect(await second.json()).toEqual(await first.json());
    expect(second.headers.get("etag")).toBe(first.headers.get("etag"));
    expect(
      counterValue("cache_requests_total", { cache: "servers:list", outcome: "hit" }),
    ).toBeGreaterThan(0);
  });

  it("a write is visible at once to its writer (tags bumped)", async () => {
    await api("/api/v2/servers?limit=100&sort=name", { token: alice.access_token });
    const s = await createServer(alice.access_token, { name: "aaa-fresh" });
    const after = await api("/api/v2/servers?limit=100&sort=name", { token: alice.access_token });
    expect(after.headers.get("x-cache")).toBe("MISS");
    expect(((await after.json()) as Page).data.map((x) => x.id)).toContain(s.id);
    await api(`/api/v2/servers/${s.id}`, { token: alice.access_token });
    await api(`/api/v2/servers/${s.id}`, {
      method: "PATCH",
      token: alice.access_token,
      body: { port: 2222 },
    });
    const read = await expectStatus<{ port: number }>(
      await api(`/api/v2/servers/${s.id}`, { token: alice.access_token }),
      200,
    );
    expect(read.port).toBe(2222);
  });

  it("never serves one user's list to another", async () => {
    const mine = await createServer(alice.access_token, { name: "alice-only" });
    const theirs = await createServer(bob.access_token, { name: "bob-only" });
    for (let i = 0; i < 2; i++) {
      const a = (await (
        await api("/api/v2/servers?limit=100", { token: alice.access_token })
      ).json()) as Page;
      const b = (await (
        await api("/api/v2/servers?limit=100", { token: bob.access_token })
      ).json()) as Page;
      expect(a.data.every((s) => s.owner_id === alice.user.id)).toBe(true);
      expect(b.data.every((s) => s.owner_id === bob.user.id)).toBe(true);
      expect(a.data.map((s) => s.id)).toContain(mine.id);
      expect(b.data.map((s) => s.id)).toContain(theirs.id);
    }
    // Bob cannot read Alice's cached resource either.
    await api(`/api/v2/servers/${mine.id}`, { token: alice.access_token });
    await expectProblem(await api(`/api/v2/servers/${mine.id}`, { token: bob.access_token }), 404);
    const all = (await (
      await api("/api/v2/servers?limit=100", { token: admin.access_token })
    ).json()) as Page;
    expect(all.data.map((s) => s.id)).toEqual(expect.arrayContaining([mine.id, theirs.id]));
  });
});

describe("degradation when D1 fails", () => {
  it("serves the last copy as STALE with Warning and Cache-Status detail; without one, 503", async () => {
    const key = await createKey(alice.access_token, { scopes: ["servers:read"] });
    await createServer(alice.access_token, { name: "survivor" });
    const warm = await api("/api/v2/servers?limit=3&sort=name", { apiKey: key.key });
    await expectStatus(warm, 200);
    // A write elsewhere invalidates the list; then D1 goes down.
    await invalidate(env.CACHE, [`servers:owner:${alice.user.id}`]);
    const res = await fetchWith({ DB: throwingD1() }, "/api/v2/servers?limit=3&sort=name", {
      headers: { "x-api-key": key.key },
    });
    await expectStatus(res, 200);
    expect(res.headers.get("x-cache")).toBe("STALE");
    expect(res.headers.get("warning")).toBe('111 - "Revalidation Failed"');
    expect(res.headers.get("cache-status")).toContain('detail="origin-unavailable"');
    expect(await res.json()).toEqual(await warm.json());
    const never = await fetchWith({ DB: throwingD1() }, "/api/v2/servers?limit=4&sort=name", {
      headers: { "x-api-key": key.key },
    });
    await expectProblem(never, 503, "service-unavailable");
  });
});

describe("stale-while-revalidate", () => {
  it("serves stale at once and refreshes exactly once per key, in the background", async () => {
    const cache = new TieredCache(env.CACHE, "swr-test");
    let loads = 0;
    const loader = async () => {
      loads++;
      return { n: loads };
    };
    const ctx = createExecutionContext();
    const wait = (p: Promise<unknown>) => ctx.waitUntil(p);
    const opts = { ttlMs: 200, l1TtlMs: 200 };
    expect((await cache.get("k", ["t-swr"], loader, opts, wait)).outcome).toBe("MISS");
    await waitOnExecutionContext(ctx);
    await new Promise((r) => setTimeout(r, 250));
    const ctx2 = createExecutionContext();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        cache.get("k", ["t-swr"], loader, opts, (p) => ctx2.waitUntil(p)),
      ),
    );
    // Answered at once: the stale copy, or the refreshed one if the refresh won the race.
    expect(results[0]).toMatchObject({ outcome: "STALE", value: { n: 1 } });
    for (const r of results)
      expect(["STALE:1", "HIT:2"]).toContain(`${r.outcome}:${(r.value as { n: number }).n}`);
    await waitOnExecutionContext(ctx2);
    expect(loads).toBe(2); // one miss, one refresh
    const fresh = await cache.get("k", ["t-swr"], loader, opts, wait);
    expect(fresh).toMatchObject({ outcome: "HIT", value: { n: 2 } });
  });
});

describe("edge cache and purge", () => {
  it("public pages are cached with Cache-Tag, and hits get a fresh CSP nonce", async () => {
    const a = await api("/status");
    expect(a.headers.get("x-cache")).toBe("MISS");
    expect(a.headers.get("cache-tag")).toBe("status");
    expect(a.headers.get("cache-control")).toBe("public, max-age=30");
    await new Promise((r) => setTimeout(r, 50)); // the store happens in waitUntil
    const b = await api("/status");
    expect(b.headers.get("x-cache")).toBe("HIT");
    const nonceA = /'nonce-([^']+)'/.exec(a.headers.get("content-security-policy")!)![1];
    const nonceB = /'nonce-([^']+)'/.exec(b.headers.get("content-security-policy")!)![1];
    expect(nonceB).not.toBe(nonceA);
    expect(await b.text()).toContain(`nonce="${nonceB}"`);
    expect(b.headers.get("x-request-id")).not.toBe(a.headers.get("x-request-id"));
  });

  it("a server write purges the status page here (in the background, at most once a second)", async () => {
    await api("/status");
    await new Promise((r) => setTimeout(r, 50));
    expect((await api("/status")).headers.get("x-cache")).toBe("HIT");
    await createServer(alice.access_token);
    let outcome: string | null = "HIT";
    for (let i = 0; i < 30 && outcome === "HIT"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      outcome = (await api("/status")).headers.get("x-cache");
      // A MISS re-stores the page; look once, not again.
    }
    expect(outcome).toBe("MISS");
  });

  it("admin purge by tag and URL works locally; without Cloudflare credentials global is skipped", async () => {
    await api("/openapi.json");
    await new Promise((r) => setTimeout(r, 50));
    expect((await api("/openapi.json")).headers.get("x-cache")).toBe("HIT");
    const res = await api("/api/v2/admin/cache/purge", {
      method: "POST",
      token: admin.access_token,
      body: { tags: ["docs"] },
    });
    const body = await expectStatus<{ local: { deleted: number }; global: { status: string } }>(
      res,
      200,
    );
    expect(body.local.deleted).toBeGreaterThanOrEqual(1);
    expect(body.global.status).toBe("skipped");
    expect((await api("/openapi.json")).headers.get("x-cache")).toBe("MISS");
    await expectProblem(
      await api("/api/v2/admin/cache/purge", {
        method: "POST",
        token: admin.access_token,
        body: {},
      }),
      422,
    );
    await expectProblem(
      await api("/api/v2/admin/cache/purge", {
        method: "POST",
        token: alice.access_token,
        body: { tags: ["x"] },
      }),
      403,
    );
  });

  const cf = { CF_ZONE_ID: "zone123", CF_API_TOKEN: "cf-token" };
  const purgeReq = (body: unknown) =>
    fetchWith(cf, "/api/v2/admin/cache/purge", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${admin.access_token}`,
      },
      body: JSON.stringify(body),
    });

  it("purges globally through Cloudflare's API, retrying a 429 and a 5xx", async () => {
    const calls: { url: string; body: unknown; auth: string | null }[] = [];
    const replies = [
      () =>
        new Response(JSON.stringify({ success: false }), {
          status: 429,
          headers: { "retry-after": "0" },
        }),
      () => new Response("upstream", { status: 502 }),
      () => new Response(JSON.stringify({ success: true, result: { id: "x" } }), { status: 200 }),
      () => new Response(JSON.stringify({ success: true, result: { id: "y" } }), { status: 200 }),
    ];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const req = new Request(input as RequestInfo, init);
      if (!req.url.startsWith("https://api.cloudflare.com/"))
        throw new Error(`unexpected ${req.url}`);
      calls.push({ url: req.url, body: await req.json(), auth: req.headers.get("authorization") });
      return replies[calls.length - 1]!();
    });
    const res = await purgeReq({ tags: ["status"], urls: ["https://panel.test/status"] });
    const body = await expectStatus<{ global: { status: string } }>(res, 200);
    expect(body.global.status).toBe("purged");
    expect(calls.map((c) => c.url)).toEqual(
      Array(4).fill("https://api.cloudflare.com/client/v4/zones/zone123/purge_cache"),
    );
    expect(calls[0]!.body).toEqual({ tags: ["status"] });
    expect(calls[3]!.body).toEqual({ files: ["https://panel.test/status"] });
    expect(calls[0]!.auth).toBe("Bearer cf-token");
  });

  it("reports a global failure as 502 after purging locally", async () => {
    vi.spyOn(globalThis, "fetch").mockImplementation(
      async () => new Response("down", { status: 503 }),
    );
    const res = await purgeReq({ tags: ["status"] });
    const p = await expectProblem(res, 502, "bad-gateway");
    expect(p.detail).toContain("Purged locally");
  });
});

describe("read replicas (D1 Sessions)", () => {
  it("answers with x-d1-bookmark and accepts it back for read-your-writes", async () => {
    const created = await api("/api/v2/servers", {
      method: "POST",
      token: alice.access_token,
      body: { name: "bookmarked", host: "b.example.com", port: 1, environment: "staging" },
    });
    await expectStatus(created, 201);
    const bookmark = created.headers.get("x-d1-bookmark");
    expect(bookmark).toBeTruthy();
    const id = ((await created.json()) as { id: string }).id;
    const read = await api(`/api/v2/servers/${id}`, {
      token: alice.access_token,
      headers: { "x-d1-bookmark": bookmark! },
    });
    await expectStatus(read, 200);
    expect(read.headers.get("x-d1-bookmark")).toBeTruthy();
    // A garbage bookmark falls back to the primary rather than failing.
    await expectStatus(
      await api(`/api/v2/servers/${id}`, {
        token: alice.access_token,
        headers: { "x-d1-bookmark": "not-a-bookmark" },
      }),
      200,
    );
  });
});

describe("client-forced revalidation", () => {
  it("Cache-Control: no-cache skips the cached copy and refreshes it", async () => {
    await api("/api/v2/servers?limit=9", { token: alice.access_token });
    expect(
      (await api("/api/v2/servers?limit=9", { token: alice.access_token })).headers.get("x-cache"),
    ).toBe("HIT");
    await env.DB.prepare("update servers set port = 4444 where owner_id = ?")
      .bind(alice.user.id)
      .run(); // behind the API's back
    const forced = await api("/api/v2/servers?limit=9", {
      token: alice.access_token,
      headers: { "cache-control": "no-cache" },
    });
    expect(forced.headers.get("x-cache")).toBe("MISS");
    const body = (await forced.json()) as { data: { port: number }[] };
    expect(body.data.every((s) => s.port === 4444)).toBe(true);
    const after = await api("/api/v2/servers?limit=9", { token: alice.access_token });
    expect(after.headers.get("x-cache")).toBe("HIT");
    expect(((await after.json()) as { data: { port: number }[] }).data[0]!.port).toBe(4444);
  });
});
