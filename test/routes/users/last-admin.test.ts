import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, seedUser } from "../../helpers.ts";

// A file of its own: the database holds exactly the two admins made here.
describe("the last active admin", () => {
  it("two admins demoting each other at the same moment: exactly one succeeds", async () => {
    const a = await seedUser({ role: "admin" });
    const b = await seedUser({ role: "admin" });
    const [ab, ba] = await Promise.all([
      api(`/api/v2/users/${b.user.id}`, {
        method: "PATCH",
        token: a.access_token,
        body: { role: "viewer" },
      }),
      api(`/api/v2/users/${a.user.id}`, {
        method: "PATCH",
        token: b.access_token,
        body: { role: "viewer" },
      }),
    ]);
    expect([ab.status, ba.status].sort()).toEqual([200, 409]);
    const admins = await env.DB.prepare(
      "select count(*) as n from users where role = 'admin' and disabled_at is null",
    ).first<{ n: number }>();
    expect(admins!.n).toBe(1);
    const audited = await env.DB.prepare(
      "select count(*) as n from audit_logs where action = 'user.role_changed'",
    ).first<{ n: number }>();
    expect(audited!.n).toBe(1);
  });
});
