import { env } from "cloudflare:workers";
import { decode } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { clearCredentialCaches } from "../../../src/services/auth/credential-cache.ts";
import { clearRevocationCache } from "../../../src/services/auth/revocation.ts";
import {
  api,
  expectProblem,
  expectStatus,
  PASSWORD,
  register,
  type Session,
  uniqueIp,
} from "../../helpers.ts";

const me = (token: string) => api("/api/v2/auth/me", { token });
const refresh = (token: string) =>
  api("/api/v2/auth/refresh", { method: "POST", body: { refresh_token: token } });
const login = (email: string) =>
  api("/api/v2/auth/login", {
    method: "POST",
    body: { email, password: PASSWORD },
    headers: { "cf-connecting-ip": uniqueIp() },
  });

describe("access tokens end with their session", () => {
  it("carry the refresh-token family they belong to (fam), kept across refreshes", async () => {
    const a = await register();
    const b = await expectStatus<Session>(await refresh(a.refresh_token), 200);
    const fa = decode(a.access_token).payload.fam;
    expect(typeof fa).toBe("string");
    expect(decode(b.access_token).payload.fam).toBe(fa);
    const row = await env.DB.prepare(
      "select family_id from refresh_tokens where user_id = ? limit 1",
    )
      .bind(a.user.id)
      .first<{ family_id: string }>();
    expect(row!.family_id).toBe(fa);
  });

  it("logout ends that session's access tokens at once, not the user's other sessions", async () => {
    const a = await register();
    const other = await expectStatus<Session>(await login(a.user.email), 200);
    await expectStatus(await me(a.access_token), 200);
    const res = await api("/api/v2/auth/logout", {
      method: "POST",
      body: { refresh_token: a.refresh_token },
    });
    expect(res.status).toBe(204);
    const gone = await me(a.access_token);
    await expectProblem(gone, 401);
    expect(gone.headers.get("www-authenticate")).toContain('error="invalid_token"');
    await expectStatus(await me(other.access_token), 200);
  });

  it("reuse of a rotated refresh token ends every access token of the family", async () => {
    const a = await register();
    const b = await expectStatus<Session>(await refresh(a.refresh_token), 200);
    await expectStatus(await me(b.access_token), 200);
    await expectProblem(await refresh(a.refresh_token), 401); // theft detected
    await expectProblem(await me(b.access_token), 401);
    await expectProblem(await me(a.access_token), 401);
  });

  it("other isolates learn it from KV (the revocation outlives this isolate's memory)", async () => {
    const a = await register();
    await expectStatus(await me(a.access_token), 200);
    await api("/api/v2/auth/logout", { method: "POST", body: { refresh_token: a.refresh_token } });
    clearRevocationCache();
    clearCredentialCaches();
    await expectProblem(await me(a.access_token), 401);
    const fam = decode(a.access_token).payload.fam as string;
    const keys = await env.CACHE.list({ prefix: "auth:revoked-family:" });
    expect(keys.keys.map((k) => k.name)).toContain(`auth:revoked-family:v1:${fam}`);
    // Kept only as long as an access token can live.
    expect(keys.keys.find((k) => k.name.endsWith(fam))!.expiration).toBeLessThanOrEqual(
      Math.floor(Date.now() / 1000) + 15 * 60 + 5,
    );
  });
});
