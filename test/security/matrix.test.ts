import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/env.ts";
import { issueAccessToken } from "../../src/services/auth/access-token.ts";
import { api, createKey, expectStatus, type Session, seedUser, uniqueIp } from "../helpers.ts";
import { createServer } from "../routes/servers/fixtures.ts";

/**
 * The security matrix: every authenticated operation in /openapi.json × every way
 * a caller can be wrong. It is generated from the route table — each operation's
 * documented security requirement names the scope its guard enforces — so a new
 * route is covered by being added, and a route whose guard drifts from its
 * documentation fails here.
 *
 *   no credentials · malformed header · garbage token · expired token · revoked key
 *   · two credentials · insufficient scope · insufficient role · another owner's id
 */

interface Operation {
  method: string;
  path: string;
  scope: string | null;
}

let ops: Operation[] = [];
let admin: Session;
let ownerA: Session;
let ownerB: Session;
let viewer: Session;
const ids: Record<string, string> = {};
const keys: Record<string, string> = {};
let expiredToken = "";

const BODIES: Record<string, unknown> = {
  "patch /api/v2/servers/{id}": { port: 8080 },
  "put /api/v1/servers/{id}": {
    name: "matrix-put",
    hostname: "matrix.example.com",
    port: 443,
    env: "production",
  },
  "patch /api/v2/users/{id}": { name: "Renamed" },
  "post /api/v2/api-keys/{id}/rotate": {},
  "patch /api/v2/webhooks/{id}": { description: "matrix" },
};

/** The id an operation's `{id}` refers to: a resource owned by ownerA. */
function fill(path: string): string {
  const resource = path.split("/")[3]!; // /api/v2/<resource>/{id}
  return path
    .replace("{id}", ids[resource] ?? ids.users!)
    .replace("{delivery_id}", ids.deliveries ?? "0190c1d2-0000-7000-8000-000000000001");
}

async function call(
  op: Operation,
  headers: Record<string, string>,
  path = fill(op.path),
): Promise<Response> {
  const body = BODIES[`${op.method} ${op.path}`] ?? (op.method === "get" ? undefined : {});
  return api(path, {
    method: op.method.toUpperCase(),
    headers: { "cf-connecting-ip": uniqueIp(), ...headers },
    body: op.method === "delete" ? undefined : body,
  });
}

async function expectRefused(res: Response, status: number, label: string) {
  const text = await res.text();
  expect(res.status, `${label}: ${text}`).toBe(status);
  expect(res.headers.get("content-type"), label).toMatch(/^application\/problem\+json/);
  if (status === 401) expect(res.headers.get("www-authenticate"), label).toMatch(/^Bearer /);
}

beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  ownerA = await seedUser({ role: "operator" });
  ownerB = await seedUser({ role: "operator" });
  viewer = await seedUser({ role: "viewer" });
  const doc = await expectStatus<{
    paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
  }>(await api("/openapi.json"), 200);
  ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      // Users' credentials (bearer token or API key); /metrics takes the scraper's token instead.
      .filter(([, op]) => op.security?.some((r) => "bearerAuth" in r || "apiKeyAuth" in r))
      .map(([method, op]) => ({
        method,
        path,
        scope: op.security![0]!.bearerAuth?.[0] ?? null,
      })),
  );

  const server = await createServer(ownerA.access_token, {
    health_check_url: "https://probe.example.com/health",
  });
  ids.servers = server.id;
  ids.users = ownerA.user.id;
  ids["api-keys"] = (await createKey(ownerA.access_token, { scopes: ["servers:read"] })).id;
  ids.jobs = (
    await expectStatus<{ job_id: string }>(
      await api(`/api/v2/servers/${server.id}/checks`, {
        method: "POST",
        token: ownerA.access_token,
      }),
      202,
    )
  ).job_id;

  ids.webhooks = (
    await expectStatus<{ id: string }>(
      await api("/api/v2/webhooks", {
        method: "POST",
        token: ownerA.access_token,
        body: { url: "https://hooks.example.com/matrix", events: ["server.created"] },
      }),
      201,
    )
  ).id;

  const revoked = await createKey(ownerA.access_token, { scopes: ["servers:read"] });
  await expectStatus(
    await api(`/api/v2/api-keys/${revoked.id}`, { method: "DELETE", token: ownerA.access_token }),
    204,
  );
  keys.revoked = revoked.key;
  keys.valid = (await createKey(ownerA.access_token, { scopes: ["servers:read"] })).key;
  // Keys narrower than their owner's role: each lacks exactly one kind of scope.
  keys["servers:read"] = (await createKey(ownerA.access_token, { scopes: ["webhooks:write"] })).key;
  keys["servers:write"] = (await createKey(ownerA.access_token, { scopes: ["servers:read"] })).key;
  keys["webhooks:write"] = (
    await createKey(ownerA.access_token, { scopes: ["servers:read", "servers:write"] })
  ).key;
  keys.admin = (
    await createKey(admin.access_token, { scopes: ["servers:read", "servers:write"] })
  ).key;
  keys.none = keys["servers:read"];

  const past = Math.floor(Date.now() / 1000) - 3_600;
  expiredToken = (
    await issueAccessToken(
      loadConfig(env).JWT_SECRET,
      { id: ownerA.user.id, role: "operator" },
      "matrix-family",
      past,
    )
  ).token;
}, 30_000);

describe("security matrix (generated from /openapi.json)", { timeout: 60_000 }, () => {
  it("covers every authenticated operation", () => {
    expect(ops.length).toBeGreaterThanOrEqual(25);
    for (const op of ops)
      expect([null, "servers:read", "servers:write", "webhooks:write", "admin"]).toContain(
        op.scope,
      );
  });

  it("no credentials, a malformed header, a garbage token, an expired token, a revoked key: 401", async () => {
    for (const op of ops) {
      const label = `${op.method} ${op.path}`;
      await expectRefused(await call(op, {}), 401, `${label} without credentials`);
      await expectRefused(
        await call(op, { authorization: "Basic Zm9vOmJhcg==" }),
        401,
        `${label} with Basic auth`,
      );
      await expectRefused(
        await call(op, { authorization: "Bearer not-a-token" }),
        401,
        `${label} with a garbage token`,
      );
      await expectRefused(
        await call(op, { authorization: `Bearer ${expiredToken}` }),
        401,
        `${label} with an expired token`,
      );
      await expectRefused(
        await call(op, { "x-api-key": keys.revoked! }),
        401,
        `${label} with a revoked key`,
      );
    }
  });

  it("two credentials in one request: 400", async () => {
    for (const op of ops)
      await expectRefused(
        await call(op, {
          "x-api-key": keys.valid!,
          authorization: `Bearer ${ownerA.access_token}`,
        }),
        400,
        `${op.method} ${op.path} with two credentials`,
      );
  });

  it("a key without the documented scope (its owner's role would allow it): 403", async () => {
    for (const op of ops.filter((o) => o.scope)) {
      const key = keys[op.scope!]!;
      await expectRefused(
        await call(op, { "x-api-key": key }),
        403,
        `${op.method} ${op.path} with a key lacking ${op.scope}`,
      );
    }
  });

  it("a role that does not carry the documented scope: 403", async () => {
    const weaker: Record<string, Session | undefined> = {
      "servers:read": undefined,
      "servers:write": viewer,
      "webhooks:write": viewer,
      admin: ownerB,
    };
    let checked = 0;
    for (const op of ops.filter((o) => o.scope && weaker[o.scope])) {
      await expectRefused(
        await call(op, { authorization: `Bearer ${weaker[op.scope!]!.access_token}` }),
        403,
        `${op.method} ${op.path} as a ${op.scope === "admin" ? "operator" : "viewer"}`,
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("another owner's resource: 404, never 403 and never the resource", async () => {
    const owned = ops.filter(
      (o) => o.path.includes("{id}") && o.scope !== "admin" && !o.path.includes("/users/"),
    );
    expect(owned.length).toBeGreaterThanOrEqual(10);
    for (const op of owned)
      await expectRefused(
        await call(op, { authorization: `Bearer ${ownerB.access_token}` }),
        404,
        `${op.method} ${op.path} as another owner`,
      );
    // …and the owner, for contrast, reaches every one of them (reads only here).
    for (const op of owned.filter((o) => o.method === "get")) {
      const res = await call(op, { authorization: `Bearer ${ownerA.access_token}` });
      expect(res.status, `${op.method} ${op.path} as the owner`).toBe(200);
    }
  });
});
