import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { DEVELOPMENT_DEFAULTS } from "../../src/env.ts";
import { sha256Hex } from "../../src/lib/encoding.ts";
import { clearFailureBlocks } from "../../src/rate-limit/failures.ts";
import { POLICIES } from "../../src/rate-limit/policies.ts";
import { generateApiKey } from "../../src/services/api-keys/format.ts";
import { clearCredentialCaches } from "../../src/services/auth/credential-cache.ts";
import { fetchWith, throwingD1 } from "../app/broken-env.ts";
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

const secret = env.JWT_SECRET ?? DEVELOPMENT_DEFAULTS.JWT_SECRET;
const LIMIT = POLICIES.auth_failures.limit;
const me = (headers: Record<string, string>) => api("/api/v2/auth/me", { headers });

/** A KV that records which keys were read, passing everything to the real one. */
function recordingKv(reads: string[]): KVNamespace {
  return new Proxy(env.CACHE, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop !== "get" || typeof value !== "function") return value.bind?.(target) ?? value;
      return (key: string, ...rest: unknown[]) => {
        reads.push(key);
        return (value as (...a: unknown[]) => unknown).call(target, key, ...rest);
      };
    },
  });
}

describe("failed authentication is rate limited per IP", () => {
  it("150 unknown checksum-valid keys from one IP: 401 up to the limit, then 429 with Retry-After and RateLimit", async () => {
    const ip = uniqueIp();
    const statuses: number[] = [];
    let first429: Response | undefined;
    for (let i = 0; i < 150; i++) {
      const res = await me({ "x-api-key": generateApiKey(), "cf-connecting-ip": ip });
      statuses.push(res.status);
      if (res.status === 429 && !first429) first429 = res;
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(150 - LIMIT);
    const body = await expectProblem(first429!, 429, "rate-limited");
    expect(body.detail).toContain("authentication");
    expect(Number(first429!.headers.get("retry-after"))).toBeGreaterThan(0);
    // Listed with the global limiter's own member (draft-ietf-httpapi-ratelimit-headers).
    expect(first429!.headers.get("ratelimit-policy")).toContain(
      `"auth_failures";q=${LIMIT};w=${POLICIES.auth_failures.windowSeconds}`,
    );
    expect(first429!.headers.get("ratelimit")).toMatch(/^"auth_failures";r=0;t=\d+/);
    // Another IP is unaffected.
    await expectProblem(
      await me({ "x-api-key": generateApiKey(), "cf-connecting-ip": uniqueIp() }),
      401,
    );
  }, 60_000);

  it("a 401 tells the client how many failures it has left", async () => {
    const res = await me({ "x-api-key": generateApiKey(), "cf-connecting-ip": uniqueIp() });
    await expectProblem(res, 401);
    expect(res.headers.get("ratelimit")).toContain(
      `"auth_failures";r=${LIMIT - 1};t=${POLICIES.auth_failures.windowSeconds}`,
    );
  });

  it("once an IP is over the limit, a new key is refused before any KV or D1 lookup", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < LIMIT; i++)
      await me({ "x-api-key": generateApiKey(), "cf-connecting-ip": ip });
    // Forget what this isolate learnt: the Durable Object alone must refuse.
    clearFailureBlocks();
    clearCredentialCaches();
    const reads: string[] = [];
    const res = await fetchWith(
      { DB: throwingD1(), CACHE: recordingKv(reads) },
      "/api/v2/auth/me",
      {
        headers: { "x-api-key": generateApiKey(), "cf-connecting-ip": ip },
      },
    );
    await expectProblem(res, 429, "rate-limited");
    expect(reads.filter((k) => k.startsWith("auth:"))).toEqual([]);
  });

  it("forged access tokens count; a genuine but expired one does not", async () => {
    const s = await register();
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: s.user.id,
      role: "viewer",
      jti: "j",
      iss: "edgepanel",
      aud: "edgepanel-api",
    };
    const expired = await sign({ ...claims, iat: now - 2000, exp: now - 1000 }, secret, "HS256");
    const ip = uniqueIp();
    for (let i = 0; i < LIMIT + 5; i++)
      await expectProblem(
        await me({ authorization: `Bearer ${expired}`, "cf-connecting-ip": ip }),
        401,
      );
    const forged = await sign({ ...claims, iat: now, exp: now + 600 }, "x".repeat(40), "HS256");
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++)
      statuses.push(
        (await me({ authorization: `Bearer ${forged}`, "cf-connecting-ip": ip })).status,
      );
    expect(statuses.at(-1)).toBe(429);
  });

  it("unknown keys are remembered in the isolate only, never written to KV", async () => {
    const unknown = generateApiKey();
    await expectProblem(await me({ "x-api-key": unknown, "cf-connecting-ip": uniqueIp() }), 401);
    const s = await register();
    const known = await createKey(s.access_token);
    clearCredentialCaches();
    await expectStatus(await me({ "x-api-key": known.key }), 200);
    await new Promise((r) => setTimeout(r, 100)); // the KV write runs in waitUntil
    expect(await env.CACHE.get(`auth:key:v1:${await sha256Hex(unknown)}`)).toBeNull();
    expect(await env.CACHE.get(`auth:key:v1:${await sha256Hex(known.key)}`)).not.toBeNull();
  });
});

describe("credentials are judged only where they are needed", () => {
  const expiredToken = async (s: Session) => {
    const now = Math.floor(Date.now() / 1000);
    return sign(
      {
        sub: s.user.id,
        role: s.user.role,
        jti: "j",
        iat: now - 2000,
        exp: now - 1000,
        iss: "edgepanel",
        aud: "edgepanel-api",
      },
      secret,
      "HS256",
    );
  };

  it("logout with an expired access token still revokes the refresh token", async () => {
    const s = await register();
    const res = await api("/api/v2/auth/logout", {
      method: "POST",
      token: await expiredToken(s),
      body: { refresh_token: s.refresh_token },
    });
    expect(res.status, await res.clone().text()).toBe(204);
    await expectProblem(
      await api("/api/v2/auth/refresh", {
        method: "POST",
        body: { refresh_token: s.refresh_token },
      }),
      401,
    );
  });

  it("register, login and refresh ignore a stale or garbage Authorization header", async () => {
    const email = uniqueEmail();
    const headers = { authorization: "Bearer not-a-token", "cf-connecting-ip": uniqueIp() };
    const s = await expectStatus<Session>(
      await api("/api/v2/auth/register", {
        method: "POST",
        headers,
        body: { email, password: PASSWORD, name: "Stale" },
      }),
      201,
    );
    await expectStatus(
      await api("/api/v2/auth/login", {
        method: "POST",
        headers,
        body: { email, password: PASSWORD },
      }),
      200,
    );
    await expectStatus(
      await api("/api/v2/auth/refresh", {
        method: "POST",
        headers: { authorization: `Bearer ${await expiredToken(s)}` },
        body: { refresh_token: s.refresh_token },
      }),
      200,
    );
  });

  it("a route that needs the caller still answers a bad token with 401 and WWW-Authenticate", async () => {
    const res = await me({ authorization: "Bearer not-a-token", "cf-connecting-ip": uniqueIp() });
    await expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("two credentials in one request are a 400 problem, never the key's owner (RFC 6750 §2)", async () => {
    const s = await register();
    const key = await createKey(s.access_token);
    const forged = await sign(
      {
        sub: "someone",
        role: "admin",
        jti: "j",
        iat: 1,
        exp: 9_999_999_999,
        iss: "edgepanel",
        aud: "edgepanel-api",
      },
      "x".repeat(40),
      "HS256",
    );
    for (const authorization of [
      `Bearer ${forged}`,
      `Bearer ${s.access_token}`,
      `Bearer ${key.key}`,
    ]) {
      const res = await me({ "x-api-key": key.key, authorization });
      const body = await expectProblem(res, 400, "bad-request");
      expect(body.detail).toContain("one credential");
    }
  });
});

describe("a 403 names the fix: a role for a user, a scope for a key", () => {
  const createServer = (auth: { token?: string; apiKey?: string }) =>
    api("/api/v2/servers", {
      method: "POST",
      ...auth,
      body: { name: `s-${crypto.randomUUID()}`, host: "a.example.com", port: 443 },
    });

  it("a viewer calling a write route is told the role it needs, not the scope", async () => {
    const viewer = await seedUser({ role: "viewer" });
    const body = await expectProblem(
      await createServer({ token: viewer.access_token }),
      403,
      "forbidden",
    );
    expect(body.detail).toBe(
      "This action needs the 'operator' role or higher; your role is 'viewer'",
    );
  });

  it("an operator's key without servers:write is told the key lacks the scope", async () => {
    const operator = await seedUser({ role: "operator" });
    const key = await createKey(operator.access_token, { scopes: ["servers:read"] });
    const body = await expectProblem(await createServer({ apiKey: key.key }), 403, "forbidden");
    expect(body.detail).toBe(
      "This API key lacks the 'servers:write' scope; use a key created with it",
    );
  });

  it("a viewer's key is told its owner's role is the fix", async () => {
    const viewer = await seedUser({ role: "viewer" });
    const key = await createKey(viewer.access_token, { scopes: ["servers:read"] });
    const body = await expectProblem(await createServer({ apiKey: key.key }), 403, "forbidden");
    expect(body.detail).toBe(
      "This action needs the 'operator' role or higher; the API key's owner has the 'viewer' role",
    );
  });

  it("admin routes: a non-admin is told the role, an admin's key without 'admin' the scope", async () => {
    const operator = await seedUser({ role: "operator" });
    const asOperator = await expectProblem(
      await api("/api/v2/users", { token: operator.access_token }),
      403,
      "forbidden",
    );
    expect(asOperator.detail).toBe("This action needs the 'admin' role; your role is 'operator'");
    const admin = await seedUser({ role: "admin" });
    const key = await createKey(admin.access_token, { scopes: ["servers:read"] });
    const asKey = await expectProblem(await api("/api/v2/users", { apiKey: key.key }), 403);
    expect(asKey.detail).toBe("This API key lacks the 'admin' scope; use a key created with it");
  });
});
