import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { UserSchema } from "../../../src/routes/auth/schemas.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  register,
  type Session,
  seedUser,
} from "../../helpers.ts";

let admin: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
});

describe("admin user management", () => {
  it("only admins list users; the list paginates", async () => {
    for (let i = 0; i < 4; i++) await register();
    const viewer = await seedUser({ role: "viewer" });
    await expectProblem(
      await api("/api/v2/users", { token: viewer.access_token }),
      403,
      "forbidden",
    );
    const operator = await seedUser({ role: "operator" });
    await expectProblem(await api("/api/v2/users", { token: operator.access_token }), 403);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { data: { id: string }[]; next_cursor: string | null } = await expectStatus(
        await api(`/api/v2/users?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
          token: admin.access_token,
        }),
        200,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const u of page.data) seen.add(u.id);
      cursor = page.next_cursor;
    } while (cursor);
    const n = await env.DB.prepare("select count(*) as n from users").first<{ n: number }>();
    expect(seen.size).toBe(n!.n);
  });

  it("422 for limit outside 1..100, 400 for a bad cursor", async () => {
    await expectProblem(await api("/api/v2/users?limit=0", { token: admin.access_token }), 422);
    await expectProblem(await api("/api/v2/users?limit=101", { token: admin.access_token }), 422);
    await expectProblem(
      await api("/api/v2/users?cursor=garbage!", { token: admin.access_token }),
      400,
    );
  });

  it("promotes a viewer; the new role applies to their existing token", async () => {
    const v = await register();
    await expectProblem(await api("/api/v2/users", { token: v.access_token }), 403);
    const updated = await expectBody(
      await api(`/api/v2/users/${v.user.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: { role: "admin" },
      }),
      200,
      UserSchema,
    );
    expect(updated.role).toBe("admin");
    await expectStatus(await api("/api/v2/users", { token: v.access_token }), 200);
    const audit = await env.DB.prepare(
      "select summary from audit_logs where action = 'user.role_changed' and resource_id = ?",
    )
      .bind(v.user.id)
      .first<{ summary: string }>();
    expect(JSON.parse(audit!.summary)).toMatchObject({
      before: { role: "viewer" },
      after: { role: "admin" },
    });
  });

  it("deactivation revokes sessions and access at once", async () => {
    const u = await register();
    await expectStatus(
      await api(`/api/v2/users/${u.user.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: { status: "disabled" },
      }),
      200,
    );
    await expectProblem(await api("/api/v2/auth/me", { token: u.access_token }), 401);
    await expectProblem(
      await api("/api/v2/auth/refresh", {
        method: "POST",
        body: { refresh_token: u.refresh_token },
      }),
      401,
    );
  });

  it("delete removes the user; their token stops working; unknown id is 404", async () => {
    const u = await register();
    expect(
      (await api(`/api/v2/users/${u.user.id}`, { method: "DELETE", token: admin.access_token }))
        .status,
    ).toBe(204);
    await expectProblem(
      await api(`/api/v2/users/${u.user.id}`, { token: admin.access_token }),
      404,
    );
    await expectProblem(await api("/api/v2/auth/me", { token: u.access_token }), 401);
    await expectProblem(
      await api(`/api/v2/users/${u.user.id}`, { method: "DELETE", token: admin.access_token }),
      404,
    );
    await expectProblem(await api("/api/v2/users/not-a-uuid", { token: admin.access_token }), 422);
  });

  it("the last active admin cannot demote, disable or delete themselves", async () => {
    // demote every other admin first
    const others = await env.DB.prepare("select id from users where role = 'admin' and id != ?")
      .bind(admin.user.id)
      .all<{ id: string }>();
    for (const o of others.results)
      await env.DB.prepare("update users set role = 'viewer' where id = ?").bind(o.id).run();
    await expectProblem(
      await api(`/api/v2/users/${admin.user.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: { role: "viewer" },
      }),
      409,
    );
    await expectProblem(
      await api(`/api/v2/users/${admin.user.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: { status: "disabled" },
      }),
      409,
    );
    await expectProblem(
      await api(`/api/v2/users/${admin.user.id}`, { method: "DELETE", token: admin.access_token }),
      409,
    );
  });

  it("422 for an empty or unknown patch", async () => {
    await expectProblem(
      await api(`/api/v2/users/${admin.user.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: {},
      }),
      422,
    );
    await expectProblem(
      await api(`/api/v2/users/${admin.user.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: { role: "god" },
      }),
      422,
    );
  });
});
