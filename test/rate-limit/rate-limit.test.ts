import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { counterValue } from "../../src/observability/metrics.ts";
import type { RateLimiter } from "../../src/rate-limit/durable-object.ts";
import { POLICIES } from "../../src/rate-limit/policies.ts";
import { fetchWith } from "../app/broken-env.ts";
import {
  api,
  createKey,
  expectProblem,
  expectStatus,
  PASSWORD,
  register,
  type Session,
  seedUser,
  uniqueEmail,
  uniqueIp,
} from "../helpers.ts";

let admin: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
});

const anon = (ip: string) => api("/api/v2/__limited", { headers: { "cf-connecting-ip": ip } });

describe("rate limits", () => {
  it("anonymous: exactly 100 per minute per IP, then 429 with Retry-After and headers", async () => {
    const ip = uniqueIp();
    for (let i = 1; i <= 100; i++) {
      const res = await anon(ip);
      expect(res.status, `request ${i}`).toBe(404); // the route does not exist: it is the limiter we test
      if (i === 1) {
        expect(res.headers.get("ratelimit-policy")).toBe('"anonymous";q=100;w=60');
        expect(res.headers.get("ratelimit")).toMatch(/^"anonymous";r=99;t=\d+$/);
      }
    }
    const refused = await anon(ip);
    const body = await expectProblem(refused, 429, "rate-limited");
    expect(body.detail).toContain("100 per 60 s");
    const retry = Number(refused.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect(refused.headers.get("ratelimit")).toMatch(/^"anonymous";r=0;t=\d+$/);
    // Another IP is unaffected.
    expect((await anon(uniqueIp())).status).toBe(404);
  });

  it("an API key's own rate_limit_per_minute overrides the default, per key", async () => {
    const slow = await createKey(admin.access_token, { rate_limit_per_minute: 3 });
    const normal = await createKey(admin.access_token);
    for (let i = 0; i < 3; i++)
      await expectStatus(await api("/api/v2/auth/me", { apiKey: slow.key }), 200);
    const res = await api("/api/v2/auth/me", { apiKey: slow.key });
    await expectProblem(res, 429);
    expect(res.headers.get("ratelimit-policy")).toBe('"api_key";q=3;w=60');
    const ok = await api("/api/v2/auth/me", { apiKey: normal.key });
    await expectStatus(ok, 200);
    expect(ok.headers.get("ratelimit-policy")).toBe('"api_key";q=1000;w=60');
  });

  it("identity precedence: API key > user > IP", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 100; i++) await anon(ip);
    await expectProblem(await anon(ip), 429);
    // Same exhausted IP, but authenticated: counted against the user or key instead.
    const asUser = await api("/api/v2/auth/me", {
      token: admin.access_token,
      headers: { "cf-connecting-ip": ip },
    });
    await expectStatus(asUser, 200);
    expect(asUser.headers.get("ratelimit-policy")).toBe('"user";q=1000;w=60');
    const key = await createKey(admin.access_token);
    const asKey = await api("/api/v2/auth/me", {
      apiKey: key.key,
      headers: { "cf-connecting-ip": ip },
    });
    await expectStatus(asKey, 200);
    expect(asKey.headers.get("ratelimit-policy")).toBe('"api_key";q=1000;w=60');
  });

  it("login: 10 per minute per IP, reported alongside the global policy", async () => {
    const ip = uniqueIp();
    let last: Response | undefined;
    for (let i = 0; i < 10; i++) {
      last = await api("/api/v2/auth/login", {
        method: "POST",
        body: { email: uniqueEmail("nobody"), password: "wrong password!" },
        headers: { "cf-connecting-ip": ip },
      });
      expect(last.status).toBe(401);
    }
    expect(last!.headers.get("ratelimit-policy")).toContain('"login";q=10;w=60');
    expect(last!.headers.get("ratelimit-policy")).toContain('"anonymous";q=100;w=60');
    await expectProblem(
      await api("/api/v2/auth/login", {
        method: "POST",
        body: { email: uniqueEmail("nobody"), password: "wrong password!" },
        headers: { "cf-connecting-ip": ip },
      }),
      429,
    );
  });
});

describe("RateLimit headers: one field line each, listing distinctly named policies", () => {
  const login = (ip: string) =>
    api("/api/v2/auth/login", {
      method: "POST",
      body: { email: uniqueEmail("nobody"), password: "wrong password!" },
      headers: { "cf-connecting-ip": ip },
    });

  /** Calls `fn` and returns the RateLimit* fields it appended (workerd sends each append as its own line). */
  async function appendedRateLimitFields(fn: () => Promise<Response>) {
    const append = vi.spyOn(Headers.prototype, "append");
    try {
      const res = await fn();
      const appended = append.mock.calls
        .map(([name]) => name.toLowerCase())
        .filter((name) => name.startsWith("ratelimit"));
      return { res, appended };
    } finally {
      append.mockRestore();
    }
  }

  it("login: its per-IP policy and the global one, as one list per field", async () => {
    const { res, appended } = await appendedRateLimitFields(() => login(uniqueIp()));
    await expectProblem(res, 401);
    expect(appended).toEqual([]);
    expect(res.headers.get("ratelimit-policy")).toBe('"login";q=10;w=60, "anonymous";q=100;w=60');
    expect(res.headers.get("ratelimit")).toMatch(/^"login";r=9;t=\d+, "anonymous";r=99;t=\d+$/);
  });

  it("a refusal lists the refusing policy once, beside the global one", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < POLICIES.login.limit; i++) await login(ip);
    const { res, appended } = await appendedRateLimitFields(() => login(ip));
    await expectProblem(res, 429, "rate-limited");
    expect(appended).toEqual([]);
    expect(res.headers.get("ratelimit-policy")).toBe('"login";q=10;w=60, "anonymous";q=100;w=60');
    expect(res.headers.get("ratelimit")).toMatch(/^"login";r=0;t=\d+, "anonymous";r=\d+;t=\d+$/);
  });

  it("every policy has its own name", () => {
    const names = Object.values(POLICIES).map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("in-isolate leases for high limits", () => {
  it("high limits are served from leases: one object entry per block, not per request", async () => {
    const key = await createKey(admin.access_token, { rate_limit_per_minute: 1000 }); // blocks of 20
    for (let i = 0; i < 30; i++)
      await expectStatus(await api("/api/v2/auth/me", { apiKey: key.key }), 200);
    await new Promise((r) => setTimeout(r, 1200)); // the object snapshots its window within a second
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`api_key:key:${key.id}`));
    const log = await runInDurableObject(
      stub,
      (_: RateLimiter, state) =>
        state.storage.sql.exec<{ v: string }>("select v from kv where k = 'log'").toArray()[0]?.v,
    );
    expect(JSON.parse(log!)).toEqual([
      [expect.any(Number), 20],
      [expect.any(Number), 20],
    ]);
  });

  it("and still admit exactly the limit from one isolate", async () => {
    const key = await createKey(admin.access_token, { rate_limit_per_minute: 500 }); // blocks of 10
    let admitted = 0;
    for (let i = 0; i < 505; i++)
      if ((await api("/api/v2/auth/me", { apiKey: key.key })).status === 200) admitted++;
    expect(admitted).toBe(500);
    const refused = await api("/api/v2/auth/me", { apiKey: key.key });
    await expectProblem(refused, 429);
    expect(refused.headers.get("ratelimit-policy")).toBe('"api_key";q=500;w=60');
  }, 30_000);
});

describe("limiter failures", () => {
  const throwing = {
    idFromName: (n: string) => n,
    get: () => ({
      check: () => Promise.reject(new Error("limiter down")),
      lockedForMs: () => Promise.reject(new Error("limiter down")),
      acquire: () => Promise.reject(new Error("limiter down")),
    }),
  } as unknown as typeof env.RATE_LIMITER;
  const hanging = {
    idFromName: (n: string) => n,
    get: () => ({ check: () => new Promise(() => {}) }),
  } as unknown as typeof env.RATE_LIMITER;

  it("fails open for ordinary requests and counts it", async () => {
    const before = counterValue("ratelimit_fail_open_total", { policy: "anonymous" });
    const res = await fetchWith({ RATE_LIMITER: throwing }, "/api/v2/__limited", {
      headers: { "cf-connecting-ip": uniqueIp() },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("ratelimit")).toBeNull();
    expect(counterValue("ratelimit_fail_open_total", { policy: "anonymous" })).toBe(before + 1);
  });

  it("a limiter that does not answer within 50 ms is treated as down", async () => {
    const started = Date.now();
    const res = await fetchWith({ RATE_LIMITER: hanging }, "/api/v2/__limited", {
      headers: { "cf-connecting-ip": uniqueIp() },
    });
    expect(res.status).toBe(404);
    // The hung limiter would hold the request until its 10 s budget; well under that
    // proves the 50 ms cut (2 s leaves room for a loaded machine's scheduling).
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("fails closed for login and registration (503)", async () => {
    const login = await fetchWith({ RATE_LIMITER: throwing }, "/api/v2/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": uniqueIp() },
      body: JSON.stringify({ email: "a@example.com", password: PASSWORD }),
    });
    expect(login.status).toBe(503);
    expect(login.headers.get("retry-after")).toBe("1");
    const reg = await fetchWith({ RATE_LIMITER: throwing }, "/api/v2/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": uniqueIp() },
      body: JSON.stringify({ email: uniqueEmail(), password: PASSWORD, name: "X" }),
    });
    expect(reg.status).toBe(503);
  });
});

describe("brute-force lockout", () => {
  const login = (email: string, password: string, ip = uniqueIp()) =>
    api("/api/v2/auth/login", {
      method: "POST",
      body: { email, password },
      headers: { "cf-connecting-ip": ip },
    });

  it("locks an account (from that IP) after 5 failures, for the same answer whether or not it exists, and audits it", async () => {
    const email = uniqueEmail("victim");
    const victim = await register(email);
    const ghost = uniqueEmail("ghost");
    const [ipV, ipG] = [uniqueIp(), uniqueIp()];
    for (let i = 0; i < 5; i++) {
      expect((await login(email, "wrong password!", ipV)).status).toBe(401);
      expect((await login(ghost, "wrong password!", ipG)).status).toBe(401);
    }
    const a = await login(email, PASSWORD, ipV); // even the right password waits out the lock
    const b = await login(ghost, PASSWORD, ipG);
    const pa = await expectProblem(a, 429);
    const pb = await expectProblem(b, 429);
    expect(pa.detail).toBe(pb.detail);
    expect(a.headers.get("retry-after")).toBe("1");
    const row = await env.DB.prepare(
      "select count(*) as n from audit_logs where action = 'auth.lockout' and resource_id = ?",
    )
      .bind(victim.user.id)
      .first<{ n: number }>();
    expect(row!.n).toBe(1);
  });

  it("lockout doubles with each further failure, capped at 15 minutes, and a success resets it", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("bf:test-growth"));
    const t0 = 1_000_000;
    const locks: number[] = [];
    for (let i = 0; i < 16; i++) locks.push((await stub.recordFailure(5, t0 + i)).lockedForMs);
    expect(locks.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(locks.slice(4, 9)).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(Math.max(...locks)).toBe(15 * 60_000);
    expect(await stub.lockedForMs(t0 + 16)).toBeGreaterThan(0);
    await stub.recordSuccess();
    expect(await stub.lockedForMs(t0 + 16)).toBe(0);
    expect((await stub.recordFailure(5, t0 + 20)).failures).toBe(1);
  });

  it("after the lock expires the right password works and clears the count", async () => {
    const email = uniqueEmail("patient");
    await register(email);
    const ip = uniqueIp();
    for (let i = 0; i < 5; i++) await login(email, "wrong password!", ip);
    await expectProblem(await login(email, PASSWORD, ip), 429);
    await new Promise((r) => setTimeout(r, 1100));
    await expectStatus(await login(email, PASSWORD, ip), 200);
    // Counter cleared: the next failure is the first again, no lock.
    expect((await login(email, "wrong password!", ip)).status).toBe(401);
    expect((await login(email, "wrong password!", ip)).status).toBe(401);
  });
});

describe("RateLimiter Durable Object", () => {
  it("is exact: N admitted, the N+1th refused, refill when the oldest admission leaves the window", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("test:exact"));
    const t = 5_000_000;
    for (let i = 0; i < 10; i++)
      expect((await stub.check(10, 60_000, 1, t + i)).allowed).toBe(true);
    const refused = await stub.check(10, 60_000, 1, t + 10);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 60_000 - 10 });
    expect((await stub.check(10, 60_000, 1, t + 59_999)).allowed).toBe(false);
    expect((await stub.check(10, 60_000, 1, t + 60_000)).allowed).toBe(true);
  });

  it("persists its window so a restarted object keeps counting", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("test:persist"));
    const now = Date.now();
    for (let i = 0; i < 3; i++) await stub.check(3, 60_000, 1, now);
    await new Promise((r) => setTimeout(r, 1200)); // the snapshot is written within a second
    const stored = await runInDurableObject(
      stub,
      (_: RateLimiter, state) =>
        state.storage.sql.exec<{ v: string }>("select v from kv where k = 'log'").toArray()[0]?.v,
    );
    expect(JSON.parse(stored!)).toHaveLength(3);
  });

  it("semaphore: max in flight, lease expiry frees a leaked slot", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName("sem:test"));
    const t = 1_000;
    const a = await stub.acquire(2, 100, t);
    const b = await stub.acquire(2, 100, t);
    expect(a.token && b.token).toBeTruthy();
    const c = await stub.acquire(2, 100, t + 10);
    expect(c).toEqual({ token: null, retryAfterMs: 90 });
    await stub.release(a.token!);
    expect((await stub.acquire(2, 100, t + 20)).token).toBeTruthy();
    // b is never released (a crashed request): its lease expires.
    expect((await stub.acquire(2, 100, t + 101)).token).toBeTruthy();
  });
});

describe("per-key concurrency and IP rules", () => {
  it("max_concurrency refuses requests beyond the slots in flight", async () => {
    const key = await createKey(admin.access_token, { max_concurrency: 1 });
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`sem:key:${key.id}`));
    const held = await stub.acquire(1, 60_000); // another request is in flight
    const res = await api("/api/v2/auth/me", { apiKey: key.key });
    await expectProblem(res, 429);
    expect(res.headers.get("retry-after")).toBeTruthy();
    await stub.release(held.token!);
    await expectStatus(await api("/api/v2/auth/me", { apiKey: key.key }), 200);
    await expectStatus(await api("/api/v2/auth/me", { apiKey: key.key }), 200); // released after each request
  });

  it("the global deny list blocks v4 and v6 ranges; admins edit it; it cannot lock out the editor", async () => {
    const mine = uniqueIp();
    const put = (deny: string[]) =>
      api("/api/v2/admin/ip-rules", {
        method: "PUT",
        token: admin.access_token,
        body: { deny },
        headers: { "cf-connecting-ip": mine },
      });
    await expectStatus(await put(["203.0.113.0/24", "2001:db8:bad::/48", "::ffff:192.0.2.1"]), 200);
    await expectProblem(
      await api("/api/v2/auth/me", {
        token: admin.access_token,
        headers: { "cf-connecting-ip": "203.0.113.77" },
      }),
      403,
    );
    await expectProblem(
      await api("/api/v2/auth/me", {
        token: admin.access_token,
        headers: { "cf-connecting-ip": "2001:db8:bad::1" },
      }),
      403,
    );
    await expectProblem(
      await api("/api/v2/auth/me", {
        token: admin.access_token,
        headers: { "cf-connecting-ip": "192.0.2.1" },
      }),
      403,
    );
    await expectStatus(
      await api("/api/v2/auth/me", {
        token: admin.access_token,
        headers: { "cf-connecting-ip": "203.0.114.1" },
      }),
      200,
    );
    const got = await expectStatus<{ deny: string[] }>(
      await api("/api/v2/admin/ip-rules", {
        token: admin.access_token,
        headers: { "cf-connecting-ip": mine },
      }),
      200,
    );
    expect(got.deny).toContain("203.0.113.0/24");
    await expectProblem(await put([`${mine}/32`]), 409);
    await expectProblem(await put(["300.0.0.0/8"]), 422);
    await expectStatus(await put([]), 200);
    const viewer = await register();
    await expectProblem(await api("/api/v2/admin/ip-rules", { token: viewer.access_token }), 403);
  });

  it("ADMIN_IP_ALLOWLIST guards the admin area only", async () => {
    const headers = (ip: string) => ({
      "content-type": "application/json",
      authorization: `Bearer ${admin.access_token}`,
      "cf-connecting-ip": ip,
    });
    const allow = { ADMIN_IP_ALLOWLIST: "10.0.0.0/8, 2001:db8::/32" };
    expect((await fetchWith(allow, "/api/v2/users", { headers: headers("10.1.2.3") })).status).toBe(
      200,
    );
    expect(
      (await fetchWith(allow, "/api/v2/users", { headers: headers("2001:db8::5") })).status,
    ).toBe(200);
    expect(
      (await fetchWith(allow, "/api/v2/users", { headers: headers("192.168.0.1") })).status,
    ).toBe(403);
    expect(
      (await fetchWith(allow, "/api/v2/audit-logs", { headers: headers("192.168.0.1") })).status,
    ).toBe(403);
    expect(
      (await fetchWith(allow, "/api/v2/admin/ip-rules", { headers: headers("192.168.0.1") }))
        .status,
    ).toBe(403);
    expect(
      (await fetchWith(allow, "/api/v2/auth/me", { headers: headers("192.168.0.1") })).status,
    ).toBe(200);
  });
});

describe("leases under concurrency", () => {
  it("concurrent requests from one isolate lose no leased units", async () => {
    const key = await createKey(admin.access_token, { rate_limit_per_minute: 500 }); // blocks of 10
    let admitted = 0;
    for (let wave = 0; wave < 13; wave++) {
      const res = await Promise.all(
        Array.from({ length: 40 }, () => api("/api/v2/auth/me", { apiKey: key.key })),
      );
      admitted += res.filter((r) => r.status === 200).length;
    }
    // A refused request may leave units leased but unspent (at most one block, L = 10)…
    expect(admitted).toBeGreaterThanOrEqual(490);
    expect(admitted).toBeLessThanOrEqual(500);
    // …which the next requests within the lease's second still get: exactly the limit, never more.
    for (let i = 0; i < 15; i++)
      if ((await api("/api/v2/auth/me", { apiKey: key.key })).status === 200) admitted++;
    expect(admitted).toBe(500);
  }, 60_000);
});
