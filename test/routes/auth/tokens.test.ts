import { env } from "cloudflare:workers";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { DEVELOPMENT_DEFAULTS } from "../../../src/env.ts";
import { clearCredentialCaches } from "../../../src/services/auth/credential-cache.ts";
import { api, expectProblem, expectStatus, register, type Session } from "../../helpers.ts";

const secret = env.JWT_SECRET ?? DEVELOPMENT_DEFAULTS.JWT_SECRET;
const now = () => Math.floor(Date.now() / 1000);
const b64url = (o: unknown) =>
  btoa(JSON.stringify(o)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");

let s: Session;
beforeAll(async () => {
  s = await register();
});

const me = (token: string) => api("/api/v2/auth/me", { token });
const claims = () => ({
  sub: s.user.id,
  role: "admin",
  jti: crypto.randomUUID(),
  iat: now(),
  exp: now() + 600,
  iss: "edgepanel",
  aud: "edgepanel-api",
});

describe("access tokens", () => {
  it("a valid token authenticates", async () => {
    await expectStatus(await me(s.access_token), 200);
  });

  it("401 with WWW-Authenticate when no credentials are sent", async () => {
    const res = await api("/api/v2/auth/me");
    await expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("rejects a forged signature", async () => {
    const forged = await sign(claims(), "x".repeat(40), "HS256");
    const res = await me(forged);
    await expectProblem(res, 401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("rejects alg: none", async () => {
    const token = `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.`;
    await expectProblem(await me(token), 401);
  });

  it("rejects another algorithm even with the right secret", async () => {
    await expectProblem(await me(await sign(claims(), secret, "HS512")), 401);
  });

  it("rejects a wrong audience and a wrong issuer", async () => {
    await expectProblem(
      await me(await sign({ ...claims(), aud: "someone-else" }, secret, "HS256")),
      401,
    );
    await expectProblem(await me(await sign({ ...claims(), iss: "evil" }, secret, "HS256")), 401);
  });

  it("rejects an expired token", async () => {
    await expectProblem(
      await me(await sign({ ...claims(), iat: now() - 2000, exp: now() - 1000 }, secret, "HS256")),
      401,
    );
  });

  it("rejects tokens of deactivated and deleted users", async () => {
    const victim = await register();
    await env.DB.prepare("update users set disabled_at = ? where id = ?")
      .bind(new Date().toISOString(), victim.user.id)
      .run();
    clearCredentialCaches();
    await expectProblem(await me(victim.access_token), 401);
    const gone = await register();
    await env.DB.prepare("delete from users where id = ?").bind(gone.user.id).run();
    clearCredentialCaches();
    await expectProblem(await me(gone.access_token), 401);
  });

  it("401 for a malformed Authorization header", async () => {
    await expectProblem(
      await api("/api/v2/auth/me", { headers: { authorization: "Basic abc" } }),
      401,
    );
  });
});

describe("refresh tokens", () => {
  const refresh = (token: string) =>
    api("/api/v2/auth/refresh", { method: "POST", body: { refresh_token: token } });

  it("rotates on every use and returns a working pair", async () => {
    const a = await register();
    const b = await expectStatus<Session>(await refresh(a.refresh_token), 200);
    expect(b.refresh_token).not.toBe(a.refresh_token);
    await expectStatus(await me(b.access_token), 200);
    const c = await expectStatus<Session>(await refresh(b.refresh_token), 200);
    expect(c.refresh_token).not.toBe(b.refresh_token);
  });

  it("stores only a hash of the token", async () => {
    const a = await register();
    const rows = await env.DB.prepare("select token_hash from refresh_tokens where user_id = ?")
      .bind(a.user.id)
      .all<{ token_hash: string }>();
    expect(rows.results.length).toBe(1);
    expect(rows.results[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows.results)).not.toContain(a.refresh_token);
  });

  it("reuse of a rotated token revokes the whole family and is audited", async () => {
    const a = await register();
    const b = await expectStatus<Session>(await refresh(a.refresh_token), 200);
    await expectProblem(await refresh(a.refresh_token), 401); // theft detected
    await expectProblem(await refresh(b.refresh_token), 401); // the thief's/legit successor is dead too
    const audit = await env.DB.prepare(
      "select count(*) as n from audit_logs where action = 'auth.refresh_reuse'",
    ).first<{ n: number }>();
    expect(audit!.n).toBeGreaterThanOrEqual(1);
  });

  it("of two concurrent uses exactly one wins", async () => {
    const a = await register();
    const results = await Promise.all([refresh(a.refresh_token), refresh(a.refresh_token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it("logout revokes; an unknown token logs out idempotently", async () => {
    const a = await register();
    const res = await api("/api/v2/auth/logout", {
      method: "POST",
      body: { refresh_token: a.refresh_token },
    });
    expect(res.status).toBe(204);
    await expectProblem(await refresh(a.refresh_token), 401);
    expect(
      (
        await api("/api/v2/auth/logout", {
          method: "POST",
          body: { refresh_token: "eprt_unknown" },
        })
      ).status,
    ).toBe(204);
  });

  it("an expired refresh token is refused", async () => {
    const a = await register();
    await env.DB.prepare("update refresh_tokens set expires_at = ? where user_id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), a.user.id)
      .run();
    await expectProblem(await refresh(a.refresh_token), 401);
  });
});
