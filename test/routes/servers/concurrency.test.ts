import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { getDatabase } from "../../../src/db/client.ts";
import { verifyAudit } from "../../../src/services/audit/audit-log.ts";
import { api, createKey, type Session, sealAudit, seedUser } from "../../helpers.ts";
import { createServer, serverBody } from "./fixtures.ts";

let operator: Session;
let apiKey: string;
beforeAll(async () => {
  operator = await seedUser({ role: "operator" });
  apiKey = (await createKey(operator.access_token, { scopes: ["servers:read", "servers:write"] }))
    .key;
});

const count = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>())!.n;

describe("concurrent writes", () => {
  it("200 concurrent creates: no 5xx, one row and one audit entry per 201, and the chain seals", async () => {
    await sealAudit();
    const auditBefore = await count("select count(*) as n from audit_logs");
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        api("/api/v2/servers", {
          method: "POST",
          apiKey,
          body: serverBody({ name: `burst-${i}` }),
          headers: { "x-request-id": `burst-create-${i}` },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 201)).toBe(true);
    for (const res of responses) {
      const { id } = (await res.json()) as { id: string };
      expect(await count("select count(*) as n from servers where id = ?", id)).toBe(1);
      expect(
        await count(
          "select count(*) as n from audit_logs where resource_id = ? and action = 'server.created'",
          id,
        ),
      ).toBe(1);
    }
    await sealAudit();
    const report = await verifyAudit(getDatabase(env));
    expect(report).toMatchObject({ valid: true, unsealed: 0 });
    expect(report.checked).toBe(auditBefore + 200);
  }, 60_000);

  it("concurrent PATCH and DELETE on shared servers: every success audited once, no error audited", async () => {
    const targets = await Promise.all(
      Array.from({ length: 8 }, () => createServer(operator.access_token)),
    );
    await sealAudit();
    const auditBefore = await count("select count(*) as n from audit_logs");
    const requests = targets.flatMap((s, t) => [
      ...Array.from({ length: 12 }, (_, i) => ({
        id: `mix-${t}-patch-${i}`,
        res: api(`/api/v2/servers/${s.id}`, {
          method: "PATCH",
          token: operator.access_token,
          body: { port: 1000 + i },
          headers: { "x-request-id": `mix-${t}-patch-${i}` },
        }),
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        id: `mix-${t}-delete-${i}`,
        res: api(`/api/v2/servers/${s.id}`, {
          method: "DELETE",
          token: operator.access_token,
          headers: { "x-request-id": `mix-${t}-delete-${i}` },
        }),
      })),
    ]);
    const settled = await Promise.all(
      requests.map(async (r) => ({ id: r.id, status: (await r.res).status })),
    );
    expect(settled.filter((r) => r.status >= 500)).toEqual([]);
    // Losers are told the truth: 412 (stale version) or 404 (already deleted).
    expect(
      settled.every((r) => [200, 204, 404, 412].includes(r.status)),
      JSON.stringify(settled.filter((r) => ![200, 204, 404, 412].includes(r.status))),
    ).toBe(true);
    const ok = settled.filter((r) => r.status < 300);
    const failed = settled.filter((r) => r.status >= 400);
    // A server is deleted at most once, and a 204 means it is gone.
    let gone = 0;
    for (const t of targets)
      gone += await count("select 1 - count(*) as n from servers where id = ?", t.id);
    expect(settled.filter((r) => r.status === 204)).toHaveLength(gone);
    expect(ok.length).toBeGreaterThanOrEqual(targets.length);
    for (const r of ok)
      expect(
        await count("select count(*) as n from audit_logs where request_id = ?", r.id),
        r.id,
      ).toBe(1);
    for (const r of failed)
      expect(
        await count("select count(*) as n from audit_logs where request_id = ?", r.id),
        r.id,
      ).toBe(0);
    await sealAudit();
    const report = await verifyAudit(getDatabase(env));
    expect(report).toMatchObject({ valid: true, unsealed: 0 });
    expect(report.checked).toBe(auditBefore + ok.length);
  }, 60_000);
});
