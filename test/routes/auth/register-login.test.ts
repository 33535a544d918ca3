import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clearFailureBlocks } from "../../../src/rate-limit/failures.ts";
import { POLICIES } from "../../../src/rate-limit/policies.ts";
import { TokenResponse } from "../../../src/routes/auth/schemas.ts";
import { fetchWith, throwingD1 } from "../../app/broken-env.ts";
import {
  api,
  expectBody,
  expectProblem,
  PASSWORD,
  register,
  uniqueEmail,
  uniqueIp,
} from "../../helpers.ts";

describe("POST /api/v2/auth/register", () => {
  it("makes the first user admin and later ones viewers, returning the SPEC §9 body", async () => {
    const first = await register();
    expect(first.user.role).toBe("admin");
    const res = await api("/api/v2/auth/register", {
      method: "POST",
      body: { email: uniqueEmail(), password: PASSWORD, name: "Second" },
    });
    const second = await expectBody(res, 201, TokenResponse);
    expect(second.user.role).toBe("viewer");
    expect(second).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(typeof second.access_token).toBe("string");
    expect(typeof second.refresh_token).toBe("string");
    expect(JSON.stringify(second)).not.toContain("password");
  });

  it("stores a PBKDF2 hash, never the password", async () => {
    const email = uniqueEmail();
    await register(email);
    const row = await env.DB.prepare("select password_hash from users where email = ?")
      .bind(email)
      .first<{ password_hash: string }>();
    expect(row!.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect(row!.password_hash).not.toContain(PASSWORD);
  });

  it("409 for a duplicate e-mail, whatever its case", async () => {
    const email = uniqueEmail();
    await register(email);
    const res = await api("/api/v2/auth/register", {
      method: "POST",
      body: { email: email.toUpperCase(), password: PASSWORD, name: "Dup" },
    });
    const body = await expectProblem(res, 409, "conflict");
    expect(body.errors).toEqual([{ path: "email", message: "already registered" }]);
  });

  it("answers 'already registered' only a few times per address: then 429 before any lookup", async () => {
    const ip = uniqueIp();
    const signUp = (email: string) =>
      api("/api/v2/auth/register", {
        method: "POST",
        headers: { "cf-connecting-ip": ip },
        body: { email, password: PASSWORD, name: "Probe" },
      });
    const taken = [];
    for (let i = 0; i < POLICIES.register_conflicts.limit; i++) taken.push(uniqueEmail("taken"));
    // Registered from elsewhere (the per-IP registration limit is not what is tested).
    for (const email of taken) await register(email);
    for (const email of taken) await expectProblem(await signUp(email), 409, "conflict");
    // The address has probed enough: even a fresh e-mail is refused, so a probe learns nothing.
    const refused = await signUp(uniqueEmail("fresh"));
    await expectProblem(refused, 429, "rate-limited");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("ratelimit-policy")).toContain('"register_conflicts"');
    // …decided by the limiter alone, before the database is asked.
    clearFailureBlocks();
    const res = await fetchWith({ DB: throwingD1() }, "/api/v2/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": ip },
      body: JSON.stringify({ email: taken[0], password: PASSWORD, name: "Probe" }),
    });
    await expectProblem(res, 429, "rate-limited");
    // Other addresses register normally.
    await register();
  }, 30_000);

  it("422 for a weak password or one equal to the e-mail", async () => {
    const short = await expectProblem(
      await api("/api/v2/auth/register", {
        method: "POST",
        body: { email: uniqueEmail(), password: "short", name: "W" },
      }),
      422,
    );
    expect(short.errors![0]!.path).toBe("password");
    const email = uniqueEmail("samepass");
    const same = await expectProblem(
      await api("/api/v2/auth/register", {
        method: "POST",
        body: { email, password: email, name: "W" },
      }),
      422,
    );
    expect(same.errors).toEqual([
      { path: "password", message: "Password must not be your e-mail address" },
    ]);
  });
});

describe("POST /api/v2/auth/login", () => {
  it("signs in with the right password", async () => {
    const email = uniqueEmail();
    await register(email);
    const body = await expectBody(
      await api("/api/v2/auth/login", {
        method: "POST",
        body: { email: ` ${email.toUpperCase()} `.trim(), password: PASSWORD },
      }),
      200,
      TokenResponse,
    );
    expect(body.user.email).toBe(email);
  });

  it("answers a wrong password and an unknown account with the same 401 problem", async () => {
    const email = uniqueEmail();
    await register(email);
    const wrong = await expectProblem(
      await api("/api/v2/auth/login", {
        method: "POST",
        body: { email, password: "not the password!" },
      }),
      401,
      "unauthorized",
    );
    const unknown = await expectProblem(
      await api("/api/v2/auth/login", {
        method: "POST",
        body: { email: uniqueEmail("ghost"), password: "not the password!" },
      }),
      401,
      "unauthorized",
    );
    expect({ ...wrong, request_id: "" }).toEqual({ ...unknown, request_id: "" });
  });

  it("refuses a deactivated user", async () => {
    const email = uniqueEmail();
    const s = await register(email);
    await env.DB.prepare("update users set disabled_at = ? where id = ?")
      .bind(new Date().toISOString(), s.user.id)
      .run();
    await expectProblem(
      await api("/api/v2/auth/login", { method: "POST", body: { email, password: PASSWORD } }),
      401,
    );
  });
});
