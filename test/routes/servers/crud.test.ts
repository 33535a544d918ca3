import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ServerListSchema, ServerSchema } from "../../../src/routes/servers/schemas.ts";
import {
  api,
  createKey,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../../helpers.ts";
import { createServer, serverBody } from "./fixtures.ts";

let admin: Session;
let operator: Session;
let other: Session;
let viewer: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
  other = await seedUser({ role: "operator" });
  viewer = await seedUser({ role: "viewer" });
});

describe("v2 servers: create and read", () => {
  it("creates with 201, Location and ETag, and reads it back", async () => {
    const res = await api("/api/v2/servers", {
      method: "POST",
      token: operator.access_token,
      body: serverBody({
        name: "alpha",
        tags: ["a", "b"],
        health_check_url: "https://alpha.example.com/healthz",
      }),
    });
    const s = await expectBody(res, 201, ServerSchema);
    expect(res.headers.get("location")).toBe(`/api/v2/servers/${s.id}`);
    expect(res.headers.get("etag")).toMatch(/^"[^"]+"$/);
    expect(s).toMatchObject({
      name: "alpha",
      port: 443,
      environment: "production",
      tags: ["a", "b"],
      status: "unknown",
      owner_id: operator.user.id,
      has_credentials: false,
    });
    const got = await expectBody(
      await api(`/api/v2/servers/${s.id}`, { token: operator.access_token }),
      200,
      ServerSchema,
    );
    expect(got).toEqual(s);
  });

  it("keeps credentials write-only and encrypted at rest", async () => {
    const secret = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITOPSECRET";
    const s = await createServer(operator.access_token, { credentials: secret });
    expect(s.has_credentials).toBe(true);
    expect(JSON.stringify(s)).not.toContain("TOPSECRET");
    const raw = await env.DB.prepare("select * from servers where id = ?")
      .bind(s.id)
      .first<Record<string, string>>();
    expect(raw!.credentials_enc).toMatch(/^v1\.[0-9a-f]{8}\./);
    expect(JSON.stringify(raw)).not.toContain("TOPSECRET");
    const audit = await env.DB.prepare("select summary from audit_logs where resource_id = ?")
      .bind(s.id)
      .all();
    expect(JSON.stringify(audit.results)).not.toContain("TOPSECRET");
    const listed = await api("/api/v2/servers?limit=100", { token: operator.access_token });
    expect(await listed.text()).not.toContain("TOPSECRET");
  });

  it("422 with one entry per bad field", async () => {
    const res = await api("/api/v2/servers", {
      method: "POST",
      token: operator.access_token,
      body: {
        name: "",
        host: "not a host!",
        port: 70000,
        environment: "prod",
        tags: Array.from({ length: 21 }, (_, i) => `t${i}`),
      },
    });
    const body = await expectProblem(res, 422, "validation");
    expect(body.errors!.map((e) => e.path).sort()).toEqual([
      "environment",
      "host",
      "name",
      "port",
      "tags",
    ]);
  });

  it.each([["10.0.0.1"], ["2001:db8::1"], ["db.internal"], ["localhost"]])(
    "accepts host %s",
    async (host) => {
      await createServer(operator.access_token, { host });
    },
  );

  it("409 for a duplicate name per owner (case-insensitive); another owner may reuse it", async () => {
    await createServer(operator.access_token, { name: "Unique-Name" });
    const dup = await api("/api/v2/servers", {
      method: "POST",
      token: operator.access_token,
      body: serverBody({ name: "unique-name" }),
    });
    await expectProblem(dup, 409, "conflict");
    await createServer(other.access_token, { name: "unique-name" });
  });
});

describe("v2 servers: ownership and roles", () => {
  it("someone else's server is 404 for read, update and delete", async () => {
    const mine = await createServer(operator.access_token);
    for (const [method, body] of [["GET"], ["PATCH", { port: 22 }], ["DELETE"]] as const) {
      await expectProblem(
        await api(`/api/v2/servers/${mine.id}`, { method, token: other.access_token, body }),
        404,
        "not-found",
      );
    }
    await expectStatus(
      await api(`/api/v2/servers/${mine.id}`, { token: operator.access_token }),
      200,
    );
  });

  it("lists only your own servers; admins list everyone's", async () => {
    const a = await createServer(operator.access_token);
    const b = await createServer(other.access_token);
    const mine = await expectBody(
      await api("/api/v2/servers?limit=100", { token: operator.access_token }),
      200,
      ServerListSchema,
    );
    expect(mine.data.every((s) => s.owner_id === operator.user.id)).toBe(true);
    expect(mine.data.map((s) => s.id)).toContain(a.id);
    expect(mine.data.map((s) => s.id)).not.toContain(b.id);
    const all = await expectBody(
      await api("/api/v2/servers?limit=100", { token: admin.access_token }),
      200,
      ServerListSchema,
    );
    expect(all.data.map((s) => s.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    await expectStatus(
      await api(`/api/v2/servers/${b.id}`, {
        method: "PATCH",
        token: admin.access_token,
        body: { port: 8443 },
      }),
      200,
    );
  });

  it("viewers read but cannot write", async () => {
    await expectStatus(await api("/api/v2/servers", { token: viewer.access_token }), 200);
    await expectProblem(
      await api("/api/v2/servers", {
        method: "POST",
        token: viewer.access_token,
        body: serverBody(),
      }),
      403,
      "forbidden",
    );
  });

  it("API keys need servers:read / servers:write and act as their owner", async () => {
    const readKey = await createKey(operator.access_token, { scopes: ["servers:read"] });
    const writeKey = await createKey(operator.access_token, {
      scopes: ["servers:read", "servers:write"],
    });
    await expectStatus(await api("/api/v2/servers", { apiKey: readKey.key }), 200);
    await expectProblem(
      await api("/api/v2/servers", { method: "POST", apiKey: readKey.key, body: serverBody() }),
      403,
    );
    const s = await expectBody(
      await api("/api/v2/servers", { method: "POST", apiKey: writeKey.key, body: serverBody() }),
      201,
      ServerSchema,
    );
    expect(s.owner_id).toBe(operator.user.id);
    const adminKey = await createKey(admin.access_token, { scopes: ["servers:read"] });
    // An admin's key without the admin scope sees only the admin's own servers.
    await expectProblem(await api(`/api/v2/servers/${s.id}`, { apiKey: adminKey.key }), 404);
  });

  it("anonymous requests are 401", async () => {
    await expectProblem(await api("/api/v2/servers"), 401);
  });
});

describe("v2 servers: update and delete", () => {
  it("patches fields, bumps the ETag and audits before/after", async () => {
    const s = await createServer(operator.access_token);
    const first = await api(`/api/v2/servers/${s.id}`, { token: operator.access_token });
    const res = await api(`/api/v2/servers/${s.id}`, {
      method: "PATCH",
      token: operator.access_token,
      body: { port: 8080, tags: ["x"], health_check_url: null },
    });
    const u = await expectBody(res, 200, ServerSchema);
    expect(u).toMatchObject({ port: 8080, tags: ["x"], name: s.name });
    expect(res.headers.get("etag")).not.toBe(first.headers.get("etag"));
    const row = await env.DB.prepare(
      "select summary from audit_logs where action = 'server.updated' and resource_id = ?",
    )
      .bind(s.id)
      .first<{ summary: string }>();
    expect(JSON.parse(row!.summary)).toMatchObject({
      before: { port: 443 },
      after: { port: 8080 },
    });
  });

  it("deletes with 204, then 404", async () => {
    const s = await createServer(operator.access_token);
    expect(
      (await api(`/api/v2/servers/${s.id}`, { method: "DELETE", token: operator.access_token }))
        .status,
    ).toBe(204);
    await expectProblem(
      await api(`/api/v2/servers/${s.id}`, { token: operator.access_token }),
      404,
    );
    const row = await env.DB.prepare(
      "select count(*) as n from audit_logs where action = 'server.deleted' and resource_id = ?",
    )
      .bind(s.id)
      .first<{ n: number }>();
    expect(row!.n).toBe(1);
  });

  it("422 for an empty patch or an unknown field; 409 renaming onto another of yours", async () => {
    const a = await createServer(operator.access_token);
    const b = await createServer(operator.access_token);
    await expectProblem(
      await api(`/api/v2/servers/${a.id}`, {
        method: "PATCH",
        token: operator.access_token,
        body: {},
      }),
      422,
    );
    await expectProblem(
      await api(`/api/v2/servers/${a.id}`, {
        method: "PATCH",
        token: operator.access_token,
        body: { owner_id: "x" },
      }),
      422,
    );
    await expectProblem(
      await api(`/api/v2/servers/${a.id}`, {
        method: "PATCH",
        token: operator.access_token,
        body: { name: b.name.toUpperCase() },
      }),
      409,
    );
  });
});
