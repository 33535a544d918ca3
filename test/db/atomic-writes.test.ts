import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { CreatedApiKeySchema } from "../../src/routes/api-keys/schemas.ts";
import { TokenResponse } from "../../src/routes/auth/schemas.ts";
import { ServerSchema } from "../../src/routes/servers/schemas.ts";
import { fetchWith } from "../app/broken-env.ts";
import { type Fault, faultyD1 } from "../app/faulty-d1.ts";
import {
  createKey,
  expectBody,
  PASSWORD,
  register,
  type Session,
  seedUser,
  uniqueEmail,
  uniqueIp,
} from "../helpers.ts";
import { createServer, serverBody } from "../routes/servers/fixtures.ts";

/**
 * Every mutation is one batch: whichever statement fails (or never answers), the
 * request answers an error and the database is exactly as it was — no row, no
 * audit entry, no job, no idempotency claim left behind. Each operation is run
 * with the fault on its 1st statement, then its 2nd, … until it succeeds (past
 * its commit); the database is compared, table by table, after each failure.
 */

// Everything a mutation can touch. Sealing columns are left out: the sequencer
// may seal earlier entries concurrently, which is not a change of content.
const TABLES: Record<string, string> = {
  users: "*",
  api_keys:
    "id, owner_id, name, prefix, key_hash, scopes, expires_at, rate_limit_per_minute, allowed_cidrs, require_signature, revoked_at, replaced_by, created_at, updated_at",
  refresh_tokens: "*",
  oauth_accounts: "*",
  servers: "*",
  server_checks: "*",
  audit_logs:
    "seq, id, created_at, actor_type, actor_id, action, resource_type, resource_id, summary, ip, user_agent, request_id",
  jobs: "*",
  idempotency_keys: "*",
  webhook_events: "*",
  webhook_deliveries: "*",
};

async function snapshot() {
  const out: Record<string, unknown[]> = {};
  for (const [table, cols] of Object.entries(TABLES)) {
    out[table] = (
      await env.DB.prepare(`select ${cols} from ${table} order by rowid`).all()
    ).results;
  }
  return out;
}

interface Request {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const send = (db: D1Database, r: Request, overrides: Record<string, unknown> = {}) =>
  fetchWith({ DB: db, ...overrides }, r.path, {
    method: r.method,
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": uniqueIp(),
      ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
      ...r.headers,
    },
    body: r.body === undefined ? undefined : JSON.stringify(r.body),
  });

/**
 * Fails statement 1, 2, … of the request until it succeeds. Returns the final
 * (successful) response and how many statements failed it before that.
 */
async function atEveryStatement(
  request: () => Request,
  mode: "fail" | "hang" = "fail",
): Promise<{ res: Response; points: number }> {
  for (let n = 1; n < 40; n++) {
    const before = await snapshot();
    const fault: Fault = mode === "fail" ? { failAt: n } : { hangAt: n };
    const d1 = faultyD1(env.DB, fault);
    const res = await send(d1.db, request(), mode === "hang" ? { REQUEST_TIMEOUT_MS: "150" } : {});
    // Past the last statement, or a fault after the commit (storing the
    // idempotent replay, a cache invalidation read): the write stands and the
    // response says so. Callers check that everything was written.
    if (!d1.reached() || res.status < 400) {
      expect(res.status, await res.clone().text()).toBeLessThan(400);
      return { res, points: n - 1 };
    }
    const text = await res.text();
    expect(res.status, `statement ${n}: ${text}`).toBeGreaterThanOrEqual(500);
    expect(await snapshot(), `statement ${n} left a partial write`).toEqual(before);
  }
  throw new Error("the request never got past its faults");
}

let admin: Session;
let operator: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
});

// Each case replays its request once per statement of its batch (a server write also
// records its webhook event and fan-out): seconds on a busy machine.
describe("a failing database leaves no partial state", { timeout: 30_000 }, () => {
  it("server create (with an Idempotency-Key, whose claim is released too)", async () => {
    const body = serverBody();
    const { res, points } = await atEveryStatement(() => ({
      method: "POST",
      path: "/api/v2/servers",
      token: operator.access_token,
      body,
      headers: { "idempotency-key": `atomic-${body.name}` },
    }));
    expect(points).toBeGreaterThanOrEqual(3);
    const created = await expectBody(res, 201, ServerSchema);
    const audit = await env.DB.prepare(
      "select count(*) as n from audit_logs where resource_id = ? and action = 'server.created'",
    )
      .bind(created.id)
      .first<{ n: number }>();
    expect(audit!.n).toBe(1);
  });

  it("server update and delete", async () => {
    const s = await createServer(operator.access_token);
    await atEveryStatement(() => ({
      method: "PATCH",
      path: `/api/v2/servers/${s.id}`,
      token: operator.access_token,
      body: { port: 8443, credentials: "s3cret" },
    }));
    await atEveryStatement(() => ({
      method: "DELETE",
      path: `/api/v2/servers/${s.id}`,
      token: operator.access_token,
    }));
    const gone = await env.DB.prepare("select count(*) as n from servers where id = ?")
      .bind(s.id)
      .first<{ n: number }>();
    expect(gone!.n).toBe(0);
  });

  it("API key create, rotate and revoke", async () => {
    await atEveryStatement(() => ({
      method: "POST",
      path: "/api/v2/api-keys",
      token: operator.access_token,
      body: { name: "atomic", scopes: ["servers:read"], require_signature: true },
    }));
    const key = await createKey(operator.access_token);
    const { res } = await atEveryStatement(() => ({
      method: "POST",
      path: `/api/v2/api-keys/${key.id}/rotate`,
      token: operator.access_token,
      body: { grace_period_seconds: 60 },
    }));
    const rotated = await expectBody(res, 201, CreatedApiKeySchema);
    await atEveryStatement(() => ({
      method: "DELETE",
      path: `/api/v2/api-keys/${rotated.id}`,
      token: operator.access_token,
    }));
  });

  it("user update and delete (with everything the user owns)", async () => {
    const target = await register(uniqueEmail("atomic-user"));
    await createServer(admin.access_token); // not the target's: must survive
    const own = await createKey(target.access_token);
    await atEveryStatement(() => ({
      method: "PATCH",
      path: `/api/v2/users/${target.user.id}`,
      token: admin.access_token,
      body: { role: "operator", status: "disabled" },
    }));
    await env.DB.prepare("update users set disabled_at = null where id = ?")
      .bind(target.user.id)
      .run();
    await env.DB.prepare(
      "insert into servers (id, owner_id, name, host, port, environment, tags, status, version, created_at, updated_at) values ('atomic-srv', ?, 'owned', 'h.example.com', 443, 'production', '[]', 'unknown', 1, '2026-01-01', '2026-01-01')",
    )
      .bind(target.user.id)
      .run();
    await atEveryStatement(() => ({
      method: "DELETE",
      path: `/api/v2/users/${target.user.id}`,
      token: admin.access_token,
    }));
    for (const [table, col] of [
      ["users", "id"],
      ["servers", "owner_id"],
      ["api_keys", "owner_id"],
      ["refresh_tokens", "user_id"],
    ] as const) {
      const row = await env.DB.prepare(`select count(*) as n from ${table} where ${col} = ?`)
        .bind(target.user.id)
        .first<{ n: number }>();
      expect(row!.n, table).toBe(0);
    }
    expect(own.id).toBeTruthy();
  });

  it("registration (user, refresh token and audit entry together)", async () => {
    const email = uniqueEmail("atomic-register");
    const { res } = await atEveryStatement(() => ({
      method: "POST",
      path: "/api/v2/auth/register",
      body: { email, password: PASSWORD, name: "Atomic" },
    }));
    const session = await expectBody(res, 201, TokenResponse);
    const counts = await env.DB.prepare(
      "select (select count(*) from refresh_tokens where user_id = ?1) as tokens, (select count(*) from audit_logs where resource_id = ?1 and action = 'user.registered') as audits",
    )
      .bind(session.user.id)
      .first<{ tokens: number; audits: number }>();
    expect(counts).toEqual({ tokens: 1, audits: 1 });
  });

  it("a database that stops answering: 504, and nothing written", async () => {
    const body = serverBody();
    const { res } = await atEveryStatement(
      () => ({ method: "POST", path: "/api/v2/servers", token: operator.access_token, body }),
      "hang",
    );
    expect(res.status).toBe(201);
  });

  it("a cache that fails after the commit does not turn the committed write into an error", async () => {
    const brokenKv = {
      get: () => Promise.reject(new Error("kv down")),
      put: () => Promise.reject(new Error("kv down")),
      delete: () => Promise.reject(new Error("kv down")),
    } as unknown as KVNamespace;
    const body = serverBody();
    const res = await send(
      env.DB,
      { method: "POST", path: "/api/v2/servers", token: operator.access_token, body },
      { CACHE: brokenKv },
    );
    const created = await expectBody(res, 201, ServerSchema);
    const counts = await env.DB.prepare(
      "select (select count(*) from servers where id = ?1) as rows, (select count(*) from audit_logs where resource_id = ?1) as audits",
    )
      .bind(created.id)
      .first<{ rows: number; audits: number }>();
    expect(counts).toEqual({ rows: 1, audits: 1 });
  });
});
