import { env } from "cloudflare:workers";
import { signRequest } from "@edgepanel/client";
import { beforeAll, describe, expect, it } from "vitest";
import { ApiKeyListSchema, CreatedApiKeySchema } from "../../../src/routes/api-keys/schemas.ts";
import { clearCredentialCaches } from "../../../src/services/auth/credential-cache.ts";
import { fetchWith, throwingD1 } from "../../app/broken-env.ts";
import {
  api,
  createKey,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../../helpers.ts";

let admin: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
});

const me = (apiKey: string, headers: Record<string, string> = {}) =>
  api("/api/v2/auth/me", { apiKey, headers });

describe("creating keys", () => {
  it("returns the key once, stores only its hash and prefix", async () => {
    const k = await createKey(admin.access_token, { scopes: ["servers:read", "servers:write"] });
    expect(k.key).toMatch(/^ep_live_[0-9A-Za-z]{36}$/);
    expect(k.prefix).toBe(k.key.slice(0, 12));
    const row = await env.DB.prepare("select * from api_keys where id = ?")
      .bind(k.id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(k.key);
    expect(row!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    const list = await expectBody(
      await api("/api/v2/api-keys", { token: admin.access_token }),
      200,
      ApiKeyListSchema,
    );
    expect(list.data.find((d) => d.id === k.id)).toMatchObject({
      prefix: k.prefix,
      status: "active",
    });
    expect(JSON.stringify(list)).not.toContain(k.key);
  });

  it("works as X-API-Key and as Authorization: Bearer", async () => {
    const k = await createKey(admin.access_token);
    const a = await expectStatus<{ auth: { kind: string; key_id: string } }>(await me(k.key), 200);
    expect(a.auth).toMatchObject({ kind: "api_key", key_id: k.id });
    await expectStatus(await api("/api/v2/auth/me", { token: k.key }), 200);
  });

  it("a viewer cannot grant scopes they lack", async () => {
    const viewer = await seedUser({ role: "viewer" });
    const res = await api("/api/v2/api-keys", {
      method: "POST",
      token: viewer.access_token,
      body: { name: "x", scopes: ["servers:write"] },
    });
    await expectProblem(res, 403, "forbidden");
  });

  it("422 for bad bodies: unknown scope, past expiry, bad CIDR, unknown field", async () => {
    const bodies = [
      { name: "x", scopes: ["root"] },
      { name: "x", scopes: ["servers:read"], expires_at: "2001-01-01T00:00:00Z" },
      { name: "x", scopes: ["servers:read"], allowed_cidrs: ["10.0.0.0/99"] },
      { name: "x", scopes: ["servers:read"], surprise: true },
      { name: "", scopes: [] },
    ];
    for (const body of bodies)
      await expectProblem(
        await api("/api/v2/api-keys", { method: "POST", token: admin.access_token, body }),
        422,
        "validation",
      );
  });
});

describe("presenting keys", () => {
  it("a key with a bad checksum is refused without any lookup", async () => {
    const k = await createKey(admin.access_token);
    const last = k.key.at(-1) === "A" ? "B" : "A";
    const tampered = k.key.slice(0, -1) + last;
    // With a D1 that throws, a lookup would be a 500: a 401 proves none happened.
    const res = await fetchWith({ DB: throwingD1() }, "/api/v2/auth/me", {
      headers: { "x-api-key": tampered },
    });
    await expectProblem(res, 401);
  });

  it("an unknown but well-formed key is 401", async () => {
    const k = await createKey(admin.access_token);
    await env.DB.prepare("delete from api_keys where id = ?").bind(k.id).run();
    clearCredentialCaches();
    await env.CACHE.delete(`auth:key:v1:${await sha(k.key)}`);
    await expectProblem(await me(k.key), 401);
  });

  it("a revoked key is 401 at once", async () => {
    const k = await createKey(admin.access_token);
    await expectStatus(await me(k.key), 200); // now cached
    expect(
      (await api(`/api/v2/api-keys/${k.id}`, { method: "DELETE", token: admin.access_token }))
        .status,
    ).toBe(204);
    await expectProblem(await me(k.key), 401);
    // and not from a stale KV entry either, after the isolate forgets it
    clearCredentialCaches();
    await expectProblem(await me(k.key), 401);
  });

  it("an expired key is 401", async () => {
    const k = await createKey(admin.access_token, {
      expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    await expectStatus(await me(k.key), 200);
    await env.DB.prepare("update api_keys set expires_at = ? where id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), k.id)
      .run();
    clearCredentialCaches();
    await env.CACHE.delete(`auth:key:v1:${await sha(k.key)}`);
    await expectProblem(await me(k.key), 401);
  });

  it("a key lacking a scope is 403 on admin routes even for an admin's key", async () => {
    const k = await createKey(admin.access_token, { scopes: ["servers:read"] });
    await expectProblem(await api("/api/v2/users", { apiKey: k.key }), 403, "forbidden");
    const full = await createKey(admin.access_token, { scopes: ["admin"] });
    await expectStatus(await api("/api/v2/users", { apiKey: full.key }), 200);
  });

  it("allowed_cidrs restricts where a key may be used from (IPv4 and IPv6)", async () => {
    const k = await createKey(admin.access_token, {
      allowed_cidrs: ["10.0.0.0/8", "2001:db8::/32"],
    });
    await expectStatus(await me(k.key, { "cf-connecting-ip": "10.20.30.40" }), 200);
    await expectStatus(await me(k.key, { "cf-connecting-ip": "2001:db8::7" }), 200);
    await expectProblem(await me(k.key, { "cf-connecting-ip": "192.168.1.1" }), 403);
    await expectProblem(await me(k.key, { "cf-connecting-ip": "2001:db9::1" }), 403);
  });

  it("records last_used_at without a write per request", async () => {
    const k = await createKey(admin.access_token);
    await expectStatus(await me(k.key), 200);
    await new Promise((r) => setTimeout(r, 50));
    const first = await env.DB.prepare("select last_used_at from api_keys where id = ?")
      .bind(k.id)
      .first<{ last_used_at: string }>();
    expect(first!.last_used_at).not.toBeNull();
    await expectStatus(await me(k.key), 200);
    await new Promise((r) => setTimeout(r, 50));
    const second = await env.DB.prepare("select last_used_at from api_keys where id = ?")
      .bind(k.id)
      .first<{ last_used_at: string }>();
    expect(second!.last_used_at).toBe(first!.last_used_at); // batched: at most once a minute
  });
});

describe("revoking and rotating", () => {
  it("someone else's key is 404, not 403", async () => {
    const other = await seedUser({ role: "operator" });
    const theirs = await createKey(other.access_token);
    const viewer = await seedUser({ role: "viewer" });
    await expectProblem(
      await api(`/api/v2/api-keys/${theirs.id}`, { method: "DELETE", token: viewer.access_token }),
      404,
    );
    await expectProblem(
      await api(`/api/v2/api-keys/${theirs.id}/rotate`, {
        method: "POST",
        token: viewer.access_token,
      }),
      404,
    );
    await expectStatus(await me(theirs.key), 200);
  });

  it("rotation issues a new key and keeps the old one for the grace period", async () => {
    const k = await createKey(admin.access_token);
    const r = await expectBody(
      await api(`/api/v2/api-keys/${k.id}/rotate`, {
        method: "POST",
        token: admin.access_token,
        body: { grace_period_seconds: 3600 },
      }),
      201,
      CreatedApiKeySchema,
    );
    expect(r.key).not.toBe(k.key);
    await expectStatus(await me(r.key), 200);
    await expectStatus(await me(k.key), 200);
    // rotating the old key again is a conflict
    await expectProblem(
      await api(`/api/v2/api-keys/${k.id}/rotate`, { method: "POST", token: admin.access_token }),
      409,
    );
  });

  it("with a zero grace period the old key stops at once", async () => {
    const k = await createKey(admin.access_token);
    await expectStatus(await me(k.key), 200);
    const r = await expectBody(
      await api(`/api/v2/api-keys/${k.id}/rotate`, {
        method: "POST",
        token: admin.access_token,
        body: { grace_period_seconds: 0 },
      }),
      201,
      CreatedApiKeySchema,
    );
    await expectProblem(await me(k.key), 401);
    await expectStatus(await me(r.key), 200);
  });

  it("rejects a grace period over 7 days", async () => {
    const k = await createKey(admin.access_token);
    await expectProblem(
      await api(`/api/v2/api-keys/${k.id}/rotate`, {
        method: "POST",
        token: admin.access_token,
        body: { grace_period_seconds: 604_801 },
      }),
      422,
    );
  });
});

describe("request signing", () => {
  it("require_signature keys need a valid, fresh, unreplayed signature", async () => {
    const k = await createKey(admin.access_token, { require_signature: true });
    expect(k.signing_secret).toMatch(/^epss_/);
    const row = await env.DB.prepare("select signing_secret_enc from api_keys where id = ?")
      .bind(k.id)
      .first<{ signing_secret_enc: string }>();
    expect(row!.signing_secret_enc).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(row!.signing_secret_enc).not.toContain(k.signing_secret!);

    await expectProblem(await me(k.key), 401); // missing
    const good = await signRequest(k.signing_secret!, {
      method: "GET",
      pathWithQuery: "/api/v2/auth/me",
    });
    await expectStatus(await me(k.key, good), 200);
    await expectProblem(await me(k.key, good), 401); // replayed nonce
    const stale = await signRequest(k.signing_secret!, {
      method: "GET",
      pathWithQuery: "/api/v2/auth/me",
      nowSeconds: Math.floor(Date.now() / 1000) - 301,
    });
    await expectProblem(await me(k.key, stale), 401);
    const wrongPath = await signRequest(k.signing_secret!, {
      method: "GET",
      pathWithQuery: "/api/v2/api-keys",
    });
    await expectProblem(await me(k.key, wrongPath), 401);
    const wrongKey = await signRequest("epss_not_the_secret", {
      method: "GET",
      pathWithQuery: "/api/v2/auth/me",
    });
    await expectProblem(await me(k.key, wrongKey), 401);
  });

  it("a refused signature says which part is at fault, in a sentence", async () => {
    const k = await createKey(admin.access_token, { require_signature: true });
    const detail = async (headers: Record<string, string>) =>
      (await expectProblem(await me(k.key, headers), 401, "unauthorized")).detail;
    expect(await detail({})).toBe("This API key requires signed requests: X-Signature is missing");
    const signed = () =>
      signRequest(k.signing_secret!, { method: "GET", pathWithQuery: "/api/v2/auth/me" });
    expect(await detail({ ...(await signed()), "X-Signature-Nonce": "" })).toBe(
      "X-Signature-Nonce is empty",
    );
    const wrong = await signRequest("epss_not_the_secret", {
      method: "GET",
      pathWithQuery: "/api/v2/auth/me",
    });
    expect(await detail(wrong)).toMatch(/^X-Signature does not match the request: sign /);
    const good = await signed();
    await expectStatus(await me(k.key, good), 200);
    expect(await detail(good)).toBe(
      "X-Signature-Nonce has already been used: send a new nonce with every request",
    );
  });

  it("signs the body: a modified body fails", async () => {
    const k = await createKey(admin.access_token, {
      require_signature: true,
      scopes: ["servers:read"],
    });
    // A signing key's children must require signatures too (no wider than the parent).
    const body = JSON.stringify({
      name: "signed",
      scopes: ["servers:read"],
      require_signature: true,
    });
    const headers = await signRequest(k.signing_secret!, {
      method: "POST",
      pathWithQuery: "/api/v2/api-keys",
      body,
    });
    const ok = await api("/api/v2/api-keys", { method: "POST", apiKey: k.key, headers, body });
    await expectStatus(ok, 201);
    const headers2 = await signRequest(k.signing_secret!, {
      method: "POST",
      pathWithQuery: "/api/v2/api-keys",
      body,
    });
    const tampered = await api("/api/v2/api-keys", {
      method: "POST",
      apiKey: k.key,
      headers: headers2,
      body: body.replace("signed", "evil"),
    });
    await expectProblem(tampered, 401);
  });
});

async function sha(s: string) {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
