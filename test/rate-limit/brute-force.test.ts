import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LOCKOUT } from "../../src/rate-limit/policies.ts";
import {
  api,
  expectProblem,
  expectStatus,
  PASSWORD,
  register,
  uniqueEmail,
  uniqueIp,
} from "../helpers.ts";

const login = (email: string, password: string, ip: string) =>
  api("/api/v2/auth/login", {
    method: "POST",
    body: { email, password },
    headers: { "cf-connecting-ip": ip },
  });

describe("login lockout is per account and IP", () => {
  it("an attacker elsewhere cannot lock a victim out from the victim's own IP", async () => {
    const email = uniqueEmail("admin-victim");
    const victim = await register(email);
    await env.DB.prepare("update users set role = 'admin' where id = ?").bind(victim.user.id).run();
    const attacker = uniqueIp();
    for (let i = 0; i < 10; i++) await login(email, "wrong password!", attacker);
    // The attacker's own address is locked out of this account…
    await expectProblem(await login(email, PASSWORD, attacker), 429);
    // …the victim, from theirs, is not.
    await expectStatus(await login(email, PASSWORD, uniqueIp()), 200);
  });

  it("failures from one IP lock that IP out of the account after 5", async () => {
    const email = uniqueEmail();
    await register(email);
    const ip = uniqueIp();
    for (let i = 0; i < LOCKOUT.account; i++)
      expect((await login(email, "wrong password!", ip)).status).toBe(401);
    await expectProblem(await login(email, PASSWORD, ip), 429);
  });

  it("guessing from many IPs: past the account-wide limit only addresses that never signed in wait", async () => {
    const email = uniqueEmail("spread");
    await register(email);
    const home = uniqueIp();
    await expectStatus(await login(email, PASSWORD, home), 200); // a known address
    for (let i = 0; i < LOCKOUT.accountWide.limit; i++)
      expect((await login(email, "wrong password!", uniqueIp())).status).toBe(401);
    const stranger = await login(email, PASSWORD, uniqueIp());
    await expectProblem(stranger, 429);
    expect(Number(stranger.headers.get("retry-after"))).toBeGreaterThan(0);
    await expectStatus(await login(email, PASSWORD, home), 200);
    // The same answer for an account that does not exist: nothing to enumerate.
    const ghost = uniqueEmail("ghost");
    for (let i = 0; i < LOCKOUT.accountWide.limit; i++)
      await login(ghost, "wrong password!", uniqueIp());
    const g = await expectProblem(await login(ghost, PASSWORD, uniqueIp()), 429);
    expect(g.detail).toBe((await stranger.clone().json<{ detail: string }>()).detail);
  }, 60_000);
});
