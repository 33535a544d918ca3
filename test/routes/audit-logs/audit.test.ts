import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { beforeAll, describe, expect, it } from "vitest";
import { getDatabase } from "../../../src/db/client.ts";
import { AuditLogListSchema, VerifySchema } from "../../../src/routes/audit-logs/schemas.ts";
import { recordAudit, verifyAudit } from "../../../src/services/audit/audit-log.ts";
import { sealPending } from "../../../src/services/audit/seal.ts";
import {
  api,
  createKey,
  expectBody,
  expectProblem,
  expectStatus,
  PASSWORD,
  register,
  type Session,
  sealAudit,
  seedUser,
} from "../../helpers.ts";

let admin: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
});

const list = async (query = "") =>
  expectBody(
    await api(`/api/v2/audit-logs${query}`, { token: admin.access_token }),
    200,
    AuditLogListSchema,
  );

describe("audit log", () => {
  it("records the identity events with actor, ip and request id", async () => {
    const email = `audited-${Date.now()}@example.com`;
    const u = await register(email);
    await api("/api/v2/auth/login", {
      method: "POST",
      body: { email, password: PASSWORD },
      headers: { "cf-connecting-ip": "198.51.100.7" },
    });
    await api("/api/v2/auth/login", {
      method: "POST",
      body: { email, password: "wrong password!!" },
    });
    const k = await createKey(admin.access_token);
    await api(`/api/v2/api-keys/${k.id}/rotate`, { method: "POST", token: admin.access_token });
    await api(`/api/v2/api-keys/${k.id}`, {
      method: "DELETE",
      token: admin.access_token,
      headers: { "x-request-id": "revoke-req-1" },
    });
    await api(`/api/v2/users/${u.user.id}`, {
      method: "PATCH",
      token: admin.access_token,
      body: { role: "operator" },
    });

    const { data } = await list("?limit=100");
    const actions = data.map((r) => r.action);
    for (const a of [
      "user.registered",
      "auth.login",
      "auth.login_failed",
      "api_key.created",
      "api_key.rotated",
      "api_key.revoked",
      "user.role_changed",
    ]) {
      expect(actions, a).toContain(a);
    }
    const login = data.find((r) => r.action === "auth.login" && r.actor_id === u.user.id)!;
    expect(login.ip).toBe("198.51.100.7");
    const revoked = data.find((r) => r.action === "api_key.revoked")!;
    expect(revoked).toMatchObject({
      actor_id: admin.user.id,
      resource_id: k.id,
      request_id: "revoke-req-1",
    });
    expect(JSON.stringify(data)).not.toContain(k.key);
    expect(JSON.stringify(data)).not.toContain(email);
  });

  it("filters by action, actor and resource, and paginates newest first", async () => {
    const onlyCreated = await list("?action=api_key.created");
    expect(onlyCreated.data.every((r) => r.action === "api_key.created")).toBe(true);
    const byActor = await list(`?actor=${admin.user.id}`);
    expect(byActor.data.every((r) => r.actor_id === admin.user.id)).toBe(true);
    const first = await list("?limit=2");
    expect(first.next_cursor).not.toBeNull();
    const second = await list(`?limit=2&cursor=${first.next_cursor}`);
    expect(second.data[0]).not.toEqual(first.data[0]);
    await expectProblem(
      await api("/api/v2/audit-logs?since=yesterday", { token: admin.access_token }),
      422,
    );
  });

  it("is admin-only", async () => {
    const v = await register();
    await expectProblem(await api("/api/v2/audit-logs", { token: v.access_token }), 403);
    await expectProblem(await api("/api/v2/audit-logs/verify", { token: v.access_token }), 403);
  });

  it("concurrent writes commit unsealed in seq order; the sequencer seals them into one chain", async () => {
    const db = getDatabase(env);
    await sealAudit();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        recordAudit(db, {
          actorType: "system",
          action: "test.concurrent",
          resourceType: "test",
          resourceId: String(i),
        }),
      ),
    );
    // Nothing seals them but the sequencer (a wake-up from an earlier request may
    // already be on its way, so count rows, not what one call sealed).
    expect((await verifyAudit(db)).valid).toBe(true);
    const seqs = await env.DB.prepare("select seq from audit_logs order by seq").all<{
      seq: number;
    }>();
    expect(seqs.results.map((r) => r.seq)).toEqual(seqs.results.map((_, i) => i + 1));
    await sealAudit();
    const after = await verifyAudit(db);
    expect(after).toMatchObject({ valid: true, unsealed: 0, checked: seqs.results.length });
  });

  it("two sealers racing (as a second object would) never fork the chain", async () => {
    for (let i = 0; i < 30; i++)
      await recordAudit(getDatabase(env), {
        actorType: "system",
        action: "test.two_sealers",
        resourceType: "test",
        resourceId: String(i),
      });
    const a = getDatabase(env);
    const b = drizzle(env.DB) as typeof a; // a second handle, as another isolate would have
    await Promise.all([sealPending(a), sealPending(b), sealPending(a)]);
    expect(await verifyAudit(a)).toMatchObject({ valid: true, unsealed: 0 });
  });

  it("lists unsealed entries, marked, and verify counts them outside `valid`", async () => {
    await sealAudit();
    await recordAudit(getDatabase(env), {
      actorType: "system",
      action: "test.unsealed",
      resourceType: "test",
    });
    const page = await expectBody(
      await api("/api/v2/audit-logs?action=test.unsealed", { token: admin.access_token }),
      200,
      AuditLogListSchema,
    );
    expect(page.data[0]).toMatchObject({ sealed: false, hash: null, prev_hash: null });
    const report = await expectBody(
      await api("/api/v2/audit-logs/verify", { token: admin.access_token }),
      200,
      VerifySchema,
    );
    expect(report).toMatchObject({ valid: true, unsealed: 1 });
    await sealAudit();
    const sealed = await expectBody(
      await api("/api/v2/audit-logs?action=test.unsealed", { token: admin.access_token }),
      200,
      AuditLogListSchema,
    );
    expect(sealed.data[0]!.sealed).toBe(true);
    expect(sealed.data[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("verify reports a valid chain, then the first tampered row", async () => {
    await sealAudit();
    const ok = await expectBody(
      await api("/api/v2/audit-logs/verify", { token: admin.access_token }),
      200,
      VerifySchema,
    );
    expect(ok.valid).toBe(true);
    expect(ok.checked).toBeGreaterThan(5);

    const victim = await env.DB.prepare(
      "select seq, id from audit_logs order by seq limit 1 offset 3",
    ).first<{ seq: number; id: string }>();
    await env.DB.prepare("update audit_logs set summary = ? where seq = ?")
      .bind(JSON.stringify({ forged: true }), victim!.seq)
      .run();
    const bad = await expectStatus<{
      valid: boolean;
      broken: { seq: number; id: string; reason: string };
    }>(await api("/api/v2/audit-logs/verify", { token: admin.access_token }), 200);
    expect(bad.valid).toBe(false);
    expect(bad.broken).toEqual({ seq: victim!.seq, id: victim!.id, reason: "hash_mismatch" });
  });

  it("verify also catches a deleted row and a re-hashed row", async () => {
    const db = getDatabase(env);
    // Start from a fresh, valid tail: delete everything and rebuild a small chain.
    const chain = async () => {
      await env.DB.prepare("delete from audit_logs").run();
      for (let i = 0; i < 5; i++)
        await recordAudit(db, { actorType: "system", action: "test.chain", resourceType: "test" });
      await sealAudit();
      return (await env.DB.prepare("select min(seq) as s from audit_logs").first<{ s: number }>())!
        .s;
    };
    let first = await chain();
    await env.DB.prepare("delete from audit_logs where seq = ?")
      .bind(first + 2)
      .run();
    expect((await verifyAudit(db)).broken?.reason).toBe("gap");

    // Reordering: two sealed rows swap places in the sequence.
    first = await chain();
    await env.DB.batch([
      env.DB.prepare("update audit_logs set seq = -1 where seq = ?").bind(first + 1),
      env.DB.prepare("update audit_logs set seq = ? where seq = ?").bind(first + 1, first + 2),
      env.DB.prepare("update audit_logs set seq = ? where seq = -1").bind(first + 2),
    ]);
    expect((await verifyAudit(db)).broken).toMatchObject({
      seq: first + 1,
      reason: "prev_hash_mismatch",
    });

    // A sealed row whose seal was stripped (hash removed) before sealed rows.
    first = await chain();
    await env.DB.prepare("update audit_logs set hash = null, prev_hash = null where seq = ?")
      .bind(first + 1)
      .run();
    expect((await verifyAudit(db)).broken).toMatchObject({
      seq: first + 2,
      reason: "unsealed_before_sealed",
    });

    first = await chain();
    // An attacker who rewrites a row *and* its hash still breaks the next row's link.
    await env.DB.prepare("update audit_logs set action = 'forged', hash = ? where seq = ?")
      .bind("f".repeat(64), first + 1)
      .run();
    const r = await verifyAudit(db);
    expect(r.valid).toBe(false);
    expect(r.broken?.seq).toBe(first + 1);
  });
});
