import { signRequest } from "@edgepanel/client";
import { describe, expect, it } from "vitest";
import { ApiKeyListSchema, CreatedApiKeySchema } from "../../../src/routes/api-keys/schemas.ts";
import { fetchWith } from "../../app/broken-env.ts";
import {
  api,
  createKey,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../../helpers.ts";

/** Key management with the caller's scopes and limits, not only its owner's role. */

const rotate = (id: string, auth: { token?: string; apiKey?: string }, body?: unknown) =>
  api(`/api/v2/api-keys/${id}/rotate`, { method: "POST", ...auth, body: body ?? {} });
const revoke = (id: string, auth: { token?: string; apiKey?: string }) =>
  api(`/api/v2/api-keys/${id}`, { method: "DELETE", ...auth });
const create = (auth: { token?: string; apiKey?: string }, body: Record<string, unknown>) =>
  api("/api/v2/api-keys", {
    method: "POST",
    ...auth,
    body: { name: "child", scopes: ["servers:read"], ...body },
  });
const me = (apiKey: string, headers: Record<string, string> = {}) =>
  api("/api/v2/auth/me", { apiKey, headers });
const soon = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();

describe("a key cannot reach past its own scopes through a sibling", () => {
  it("a servers:read key cannot rotate a sibling with wider scopes (no escalation)", async () => {
    const op = await seedUser({ role: "operator" });
    const narrow = await createKey(op.access_token, { scopes: ["servers:read"] });
    const wide = await createKey(op.access_token, { scopes: ["servers:read", "servers:write"] });
    const res = await rotate(wide.id, { apiKey: narrow.key });
    const body = await expectProblem(res, 403, "forbidden");
    expect(JSON.stringify(body)).not.toContain("ep_live_");
    // The sibling is untouched and still the active one.
    await expectStatus(await me(wide.key), 200);
  });

  it("a servers:read key cannot revoke a sibling with wider scopes, but may revoke itself", async () => {
    const op = await seedUser({ role: "operator" });
    const narrow = await createKey(op.access_token, { scopes: ["servers:read"] });
    const wide = await createKey(op.access_token, { scopes: ["servers:read", "servers:write"] });
    await expectProblem(await revoke(wide.id, { apiKey: narrow.key }), 403, "forbidden");
    await expectStatus(await me(wide.key), 200);
    expect((await revoke(narrow.id, { apiKey: narrow.key })).status).toBe(204);
    await expectProblem(await me(narrow.key), 401);
  });

  it("a key may rotate a sibling no wider than itself", async () => {
    const op = await seedUser({ role: "operator" });
    const wide = await createKey(op.access_token, { scopes: ["servers:read", "servers:write"] });
    const narrow = await createKey(op.access_token, { scopes: ["servers:read"] });
    const r = await expectBody(
      await rotate(narrow.id, { apiKey: wide.key }),
      201,
      CreatedApiKeySchema,
    );
    expect(r.scopes).toEqual(["servers:read"]);
  });
});

describe("cross-owner key management needs the admin role AND the admin scope", () => {
  let victim: Session;
  const victimKey = async () =>
    createKey(victim.access_token, { scopes: ["servers:read", "servers:write"] });

  it("an admin's servers:read key cannot rotate or revoke another user's key (404)", async () => {
    victim = await seedUser({ role: "operator" });
    const admin = await seedUser({ role: "admin" });
    const adminNarrow = await createKey(admin.access_token, { scopes: ["servers:read"] });
    const theirs = await victimKey();
    await expectProblem(await rotate(theirs.id, { apiKey: adminNarrow.key }), 404);
    await expectProblem(await revoke(theirs.id, { apiKey: adminNarrow.key }), 404);
    await expectStatus(await me(theirs.key), 200);
  });

  it("nobody receives another user's new secret: an admin's rotate of someone else's key is refused", async () => {
    victim = await seedUser({ role: "operator" });
    const admin = await seedUser({ role: "admin" });
    const theirs = await victimKey();
    const adminKey = await createKey(admin.access_token, { scopes: ["admin"] });
    for (const auth of [{ token: admin.access_token }, { apiKey: adminKey.key }]) {
      const res = await rotate(theirs.id, auth);
      const body = await expectProblem(res, 403, "forbidden");
      expect(body.detail).toContain("owner");
      expect(JSON.stringify(body)).not.toContain("ep_live_");
    }
    await expectStatus(await me(theirs.key), 200);
  });

  it("an admin with the admin scope may revoke another user's key", async () => {
    victim = await seedUser({ role: "operator" });
    const admin = await seedUser({ role: "admin" });
    const theirs = await victimKey();
    expect((await revoke(theirs.id, { token: admin.access_token })).status).toBe(204);
    await expectProblem(await me(theirs.key), 401);
  });

  it("an admin may list another user's keys with ?owner_id=; others get their own list only", async () => {
    victim = await seedUser({ role: "operator" });
    const admin = await seedUser({ role: "admin" });
    const theirs = await victimKey();
    const list = await expectBody(
      await api(`/api/v2/api-keys?owner_id=${victim.user.id}`, { token: admin.access_token }),
      200,
      ApiKeyListSchema,
    );
    expect(list.data.map((k) => k.id)).toContain(theirs.id);
    const adminNarrow = await createKey(admin.access_token, { scopes: ["servers:read"] });
    await expectProblem(
      await api(`/api/v2/api-keys?owner_id=${victim.user.id}`, { apiKey: adminNarrow.key }),
      403,
      "forbidden",
    );
    const other = await seedUser({ role: "operator" });
    await expectProblem(
      await api(`/api/v2/api-keys?owner_id=${victim.user.id}`, { token: other.access_token }),
      403,
      "forbidden",
    );
  });

  it("admin power used on /api-keys respects ADMIN_IP_ALLOWLIST; own keys do not need it", async () => {
    victim = await seedUser({ role: "operator" });
    const admin = await seedUser({ role: "admin" });
    const theirs = await victimKey();
    const mine = await createKey(admin.access_token);
    const allow = { ADMIN_IP_ALLOWLIST: "10.0.0.0/8" };
    const headers = (ip: string) => ({
      authorization: `Bearer ${admin.access_token}`,
      "cf-connecting-ip": ip,
    });
    const outside = await fetchWith(allow, `/api/v2/api-keys/${theirs.id}`, {
      method: "DELETE",
      headers: headers("192.0.2.10"),
    });
    await expectProblem(outside, 403, "forbidden");
    await expectStatus(await me(theirs.key), 200);
    const listOutside = await fetchWith(allow, `/api/v2/api-keys?owner_id=${victim.user.id}`, {
      headers: headers("192.0.2.10"),
    });
    await expectProblem(listOutside, 403, "forbidden");
    // Managing one's own keys is not admin power: allowed from anywhere.
    const own = await fetchWith(allow, `/api/v2/api-keys/${mine.id}`, {
      method: "DELETE",
      headers: headers("192.0.2.10"),
    });
    expect(own.status).toBe(204);
    const inside = await fetchWith(allow, `/api/v2/api-keys/${theirs.id}`, {
      method: "DELETE",
      headers: headers("10.1.2.3"),
    });
    expect(inside.status).toBe(204);
  });
});

describe("a restricted key cannot mint a less restricted one", () => {
  it("expiry: a child of an expiring key must expire no later", async () => {
    const op = await seedUser({ role: "operator" });
    const parent = await createKey(op.access_token, { expires_at: soon(60) });
    const none = await expectProblem(await create({ apiKey: parent.key }, {}), 403, "forbidden");
    expect(none.errors?.map((e) => e.path)).toEqual(["expires_at"]);
    await expectProblem(
      await create({ apiKey: parent.key }, { expires_at: soon(120) }),
      403,
      "forbidden",
    );
    await expectStatus(await create({ apiKey: parent.key }, { expires_at: soon(30) }), 201);
  });

  it("allowed_cidrs: a child's CIDRs must lie inside the parent's", async () => {
    const op = await seedUser({ role: "operator" });
    const parent = await createKey(op.access_token, { allowed_cidrs: ["10.0.0.0/8"] });
    const from = { "cf-connecting-ip": "10.1.1.1" };
    const post = (body: Record<string, unknown>) =>
      api("/api/v2/api-keys", {
        method: "POST",
        apiKey: parent.key,
        headers: from,
        body: { name: "child", scopes: ["servers:read"], ...body },
      });
    await expectProblem(await post({}), 403, "forbidden");
    await expectProblem(await post({ allowed_cidrs: ["0.0.0.0/0"] }), 403, "forbidden");
    await expectProblem(await post({ allowed_cidrs: ["10.0.0.0/7"] }), 403, "forbidden");
    await expectProblem(await post({ allowed_cidrs: ["2001:db8::/32"] }), 403, "forbidden");
    await expectStatus(await post({ allowed_cidrs: ["10.2.0.0/16", "10.9.9.9"] }), 201);
  });

  it("require_signature: a child of a signing key must require signatures too", async () => {
    const op = await seedUser({ role: "operator" });
    const parent = await createKey(op.access_token, { require_signature: true });
    const signedPost = async (body: Record<string, unknown>) => {
      const text = JSON.stringify({ name: "child", scopes: ["servers:read"], ...body });
      const headers = await signRequest(parent.signing_secret!, {
        method: "POST",
        pathWithQuery: "/api/v2/api-keys",
        body: text,
      });
      return api("/api/v2/api-keys", { method: "POST", apiKey: parent.key, headers, body: text });
    };
    await expectProblem(await signedPost({}), 403, "forbidden");
    await expectProblem(await signedPost({ require_signature: false }), 403, "forbidden");
    await expectStatus(await signedPost({ require_signature: true }), 201);
  });

  it("rate limit: a child of a limited key has a limit no higher", async () => {
    const op = await seedUser({ role: "operator" });
    const parent = await createKey(op.access_token, { rate_limit_per_minute: 50 });
    await expectProblem(await create({ apiKey: parent.key }, {}), 403, "forbidden");
    await expectProblem(
      await create({ apiKey: parent.key }, { rate_limit_per_minute: 51 }),
      403,
      "forbidden",
    );
    await expectStatus(await create({ apiKey: parent.key }, { rate_limit_per_minute: 50 }), 201);
  });

  it("an unrestricted key may not mint a key above the default per-key limit", async () => {
    const op = await seedUser({ role: "operator" });
    const parent = await createKey(op.access_token);
    await expectProblem(
      await create({ apiKey: parent.key }, { rate_limit_per_minute: 5_000 }),
      403,
      "forbidden",
    );
    // A signed-in user (not a key) sets any limit the schema allows.
    await expectStatus(
      await create({ token: op.access_token }, { rate_limit_per_minute: 5_000 }),
      201,
    );
  });

  it("rotation keeps a restricted sibling's settings, so only an equally restricted key may rotate it", async () => {
    const op = await seedUser({ role: "operator" });
    const unrestricted = await createKey(op.access_token);
    const restricted = await createKey(op.access_token, { expires_at: soon(60) });
    // The restricted key may not rotate the unrestricted one (it would receive a key without expiry)…
    await expectProblem(
      await rotate(unrestricted.id, { apiKey: restricted.key }),
      403,
      "forbidden",
    );
    // …the unrestricted one may rotate the restricted one.
    await expectStatus(await rotate(restricted.id, { apiKey: unrestricted.key }), 201);
  });
});
