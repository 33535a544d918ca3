import { z } from "@hono/zod-openapi";
import { beforeAll, describe, expect, it } from "vitest";
import { ServerSchema } from "../../../src/routes/servers/schemas.ts";
import { V1Server } from "../../../src/routes/v1/servers.ts";
import { api, expectBody, expectProblem, type Session, seedUser } from "../../helpers.ts";
import { createServer } from "../servers/fixtures.ts";

let op: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
  for (let i = 0; i < 7; i++) await createServer(op.access_token, { name: `v1-${i}` });
});

const expectDeprecated = (res: Response) => {
  expect(res.headers.get("deprecation")).toMatch(/^@\d+$/);
  expect(res.headers.get("sunset")).toBe("Wed, 30 Sep 2027 00:00:00 GMT");
  expect(res.headers.get("link")).toContain('</api/v2/servers>; rel="successor-version"');
};

describe("v1 legacy servers", () => {
  it("lists a bare array with page/per_page, X-Total-Count and RFC 8288 links", async () => {
    const res = await api("/api/v1/servers?page=2&per_page=3", { token: op.access_token });
    const body = await expectBody(res, 200, z.array(V1Server));
    expect(Array.isArray(body)).toBe(true);
    expect(body).toHaveLength(3);
    expect(res.headers.get("x-total-count")).toBe("7");
    const link = res.headers.get("link")!;
    for (const rel of [
      'page=1&per_page=3>; rel="first"',
      'page=1&per_page=3>; rel="prev"',
      'page=3&per_page=3>; rel="next"',
      'page=3&per_page=3>; rel="last"',
    ]) {
      expect(link).toContain(rel);
    }
    expectDeprecated(res);
    expect(body[0]).toHaveProperty("hostname");
    expect(body[0]).toHaveProperty("env");
    expect(body[0]).not.toHaveProperty("host");
  });

  it("pages do not overlap and cover everything", async () => {
    const ids = new Set<string>();
    for (let page = 1; page <= 3; page++) {
      const body = await expectBody(
        await api(`/api/v1/servers?page=${page}&per_page=3`, { token: op.access_token }),
        200,
        z.array(V1Server),
      );
      for (const s of body) ids.add(s.id);
    }
    expect(ids.size).toBe(7);
  });

  it("creates, reads, replaces (PUT) and deletes with the old field names", async () => {
    const created = await api("/api/v1/servers", {
      method: "POST",
      token: op.access_token,
      body: {
        name: "legacy",
        hostname: "old.example.com",
        port: 21,
        env: "staging",
        health_check_url: "https://old.example.com/ping",
      },
    });
    const s = await expectBody(created, 201, V1Server);
    expectDeprecated(created);
    expect(created.headers.get("location")).toBe(`/api/v1/servers/${s.id}`);
    expect(s).toMatchObject({ hostname: "old.example.com", env: "staging" });
    // The same row through v2, with the new names.
    const v2 = await expectBody(
      await api(`/api/v2/servers/${s.id}`, { token: op.access_token }),
      200,
      ServerSchema,
    );
    expect(v2).toMatchObject({ host: "old.example.com", environment: "staging" });

    const put = await api(`/api/v1/servers/${s.id}`, {
      method: "PUT",
      token: op.access_token,
      body: { name: "legacy", hostname: "new.example.com", port: 22, env: "production" },
    });
    const replaced = await expectBody(put, 200, V1Server);
    expect(replaced).toMatchObject({
      hostname: "new.example.com",
      port: 22,
      env: "production",
      health_check_url: null,
    });
    expectDeprecated(put);

    const del = await api(`/api/v1/servers/${s.id}`, { method: "DELETE", token: op.access_token });
    expect(del.status).toBe(204);
    expectDeprecated(del);
    const gone = await api(`/api/v1/servers/${s.id}`, { token: op.access_token });
    await expectProblem(gone, 404);
    expectDeprecated(gone);
  });

  it("PUT needs the whole body; errors use v1 names", async () => {
    const s = await createServer(op.access_token);
    const body = await expectProblem(
      await api(`/api/v1/servers/${s.id}`, {
        method: "PUT",
        token: op.access_token,
        body: { name: "x" },
      }),
      422,
    );
    expect(body.errors!.map((e) => e.path).sort()).toEqual(["env", "hostname", "port"]);
  });
});
