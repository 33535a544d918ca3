import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenResponse } from "../../../src/routes/auth/schemas.ts";
import { api, expectBody, expectProblem, expectStatus, seedUser } from "../../helpers.ts";

/** Mocks only the outside world: the provider endpoints. Anything else fails loudly. */
function mockProviders(routes: Record<string, () => Response>) {
  const real = globalThis.fetch;
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    for (const [prefix, reply] of Object.entries(routes))
      if (url.startsWith(prefix)) return reply();
    if (url.startsWith("https://panel.test")) return real(input, init);
    throw new Error(`unexpected outbound fetch: ${url}`);
  });
}

const json =
  (body: unknown, status = 200) =>
  () =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Google's token endpoint and the profile its userinfo endpoint returns. */
const mockGoogle = (profile: Record<string, unknown>, accessToken = "t") =>
  mockProviders({
    "https://oauth2.googleapis.com/token": json({
      access_token: accessToken,
      expires_in: 3600,
      scope: "openid email profile",
    }),
    "https://www.googleapis.com/oauth2/v2/userinfo": json(profile),
  });

/** GitHub's token endpoint, the user and the e-mail addresses it returns. */
const mockGitHub = (user: Record<string, unknown>, emails: Record<string, unknown>[]) =>
  mockProviders({
    "https://github.com/login/oauth/access_token": json({
      access_token: "gh-token",
      scope: "read:user,user:email",
      token_type: "bearer",
    }),
    "https://api.github.com/user/emails": json(emails),
    "https://api.github.com/user": json(user),
  });

async function startFlow(provider: "google" | "github") {
  const res = await api(`/api/v2/auth/oauth/${provider}`);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get("location")!);
  const state = location.searchParams.get("state")!;
  expect(res.headers.get("set-cookie")).toContain(`state=${state}`);
  expect(res.headers.get("set-cookie")).toMatch(/HttpOnly/i);
  return { location, state };
}

const callback = (provider: string, state: string, cookieState = state, extra = "") =>
  api(`/api/v2/auth/oauth/${provider}?code=auth-code-123&state=${state}${extra}`, {
    headers: { cookie: `state=${cookieState}` },
  });

afterEach(() => vi.restoreAllMocks());

describe("Google sign-in", () => {
  it("redirects to Google with state, then creates a verified user and stores provider tokens encrypted", async () => {
    await seedUser({ role: "admin" }); // an admin exists: a sign-up is a viewer
    const { location, state } = await startFlow("google");
    expect(location.origin).toBe("https://accounts.google.com");
    expect(location.searchParams.get("client_id")).toBe("test-google-client");
    mockGoogle(
      {
        id: "g-1001",
        email: "grace@example.com",
        verified_email: true,
        name: "Grace Hopper",
      },
      "google-access-SECRET",
    );
    const body = await expectBody(await callback("google", state), 200, TokenResponse);
    expect(body.user).toMatchObject({
      email: "grace@example.com",
      role: "viewer",
      email_verified: true,
    });
    await expectStatus(await api("/api/v2/auth/me", { token: body.access_token }), 200);
    const acct = await env.DB.prepare(
      "select * from oauth_accounts where provider_account_id = 'g-1001'",
    ).first<Record<string, string>>();
    expect(acct!.access_token_enc).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(JSON.stringify(acct)).not.toContain("google-access-SECRET");
  });

  it("links to an existing account by verified e-mail, and audits the link", async () => {
    const existing = await seedUser({ email: "linkme@example.com" });
    const { state } = await startFlow("google");
    mockGoogle({
      id: "g-2002",
      email: "LinkMe@example.com",
      verified_email: true,
      name: "L",
    });
    const body = await expectBody(await callback("google", state), 200, TokenResponse);
    expect(body.user.id).toBe(existing.user.id);
    const row = await env.DB.prepare(
      "select count(*) as n from audit_logs where action = 'auth.oauth_linked' and actor_id = ?",
    )
      .bind(existing.user.id)
      .first<{ n: number }>();
    expect(row!.n).toBe(1);
  });

  it("refuses an unverified e-mail with 403 and creates nothing", async () => {
    const { state } = await startFlow("google");
    mockGoogle({
      id: "g-3003",
      email: "unverified@example.com",
      verified_email: false,
      name: "U",
    });
    await expectProblem(await callback("google", state), 403);
    const n = await env.DB.prepare(
      "select count(*) as n from users where email = 'unverified@example.com'",
    ).first<{ n: number }>();
    expect(n!.n).toBe(0);
  });

  it("401 on a state mismatch, before any call to Google", async () => {
    const { state } = await startFlow("google");
    const spy = mockProviders({});
    await expectProblem(await callback("google", state, "another-state"), 401);
    await expectProblem(await api(`/api/v2/auth/oauth/google?code=x&state=${state}`), 401); // no cookie at all
    expect(spy).not.toHaveBeenCalledWith(expect.stringContaining("googleapis"), expect.anything());
  });

  it("401 when the user denies consent", async () => {
    const { state } = await startFlow("google");
    await expectProblem(
      await api(`/api/v2/auth/oauth/google?error=access_denied&state=${state}`, {
        headers: { cookie: `state=${state}` },
      }),
      401,
    );
  });
});

describe("GitHub sign-in", () => {
  it("uses the verified primary e-mail", async () => {
    const { location, state } = await startFlow("github");
    expect(location.origin).toBe("https://github.com");
    mockGitHub({ id: 4242, login: "octocat", name: "The Octocat" }, [
      { email: "octo@example.com", primary: true, verified: true },
    ]);
    const body = await expectBody(await callback("github", state), 200, TokenResponse);
    expect(body.user).toMatchObject({ email: "octo@example.com", name: "The Octocat" });
  });

  it("refuses an unverified GitHub e-mail", async () => {
    const { state } = await startFlow("github");
    mockGitHub({ id: 777, login: "sneaky", name: null }, [
      { email: "sneaky@example.com", primary: true, verified: false },
    ]);
    await expectProblem(await callback("github", state), 403);
  });
});
