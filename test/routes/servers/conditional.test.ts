import { beforeAll, describe, expect, it } from "vitest";
import { ServerSchema } from "../../../src/routes/servers/schemas.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../../helpers.ts";
import { createServer } from "./fixtures.ts";

let op: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
});

describe("conditional requests", () => {
  it("GET with a matching If-None-Match is 304 with no body; a stale one is 200", async () => {
    const s = await createServer(op.access_token);
    const first = await api(`/api/v2/servers/${s.id}`, { token: op.access_token });
    const etag = first.headers.get("etag")!;
    const again = await api(`/api/v2/servers/${s.id}`, {
      token: op.access_token,
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    await api(`/api/v2/servers/${s.id}`, {
      method: "PATCH",
      token: op.access_token,
      body: { port: 2222 },
    });
    const changed = await api(`/api/v2/servers/${s.id}`, {
      token: op.access_token,
      headers: { "if-none-match": etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  it("lists carry an ETag that changes when a row in them changes", async () => {
    const s = await createServer(op.access_token);
    const list = await api("/api/v2/servers?limit=100", { token: op.access_token });
    const etag = list.headers.get("etag")!;
    expect(
      (
        await api("/api/v2/servers?limit=100", {
          token: op.access_token,
          headers: { "if-none-match": etag },
        })
      ).status,
    ).toBe(304);
    expect(
      (
        await api("/api/v2/servers?limit=100", {
          token: op.access_token,
          headers: { "if-none-match": `"nope", ${etag}` },
        })
      ).status,
    ).toBe(304);
    await api(`/api/v2/servers/${s.id}`, {
      method: "PATCH",
      token: op.access_token,
      body: { tags: ["changed"] },
    });
    expect(
      (
        await api("/api/v2/servers?limit=100", {
          token: op.access_token,
          headers: { "if-none-match": etag },
        })
      ).status,
    ).toBe(200);
  });

  it("PATCH and DELETE with a stale If-Match are 412 and change nothing", async () => {
    const s = await createServer(op.access_token);
    const etag = (await api(`/api/v2/servers/${s.id}`, { token: op.access_token })).headers.get(
      "etag",
    )!;
    await expectStatus(
      await api(`/api/v2/servers/${s.id}`, {
        method: "PATCH",
        token: op.access_token,
        body: { port: 1 },
        headers: { "if-match": etag },
      }),
      200,
    );
    await expectProblem(
      await api(`/api/v2/servers/${s.id}`, {
        method: "PATCH",
        token: op.access_token,
        body: { port: 2 },
        headers: { "if-match": etag },
      }),
      412,
      "precondition-failed",
    );
    await expectProblem(
      await api(`/api/v2/servers/${s.id}`, {
        method: "DELETE",
        token: op.access_token,
        headers: { "if-match": etag },
      }),
      412,
    );
    const now = await expectBody(
      await api(`/api/v2/servers/${s.id}`, { token: op.access_token }),
      200,
      ServerSchema,
    );
    expect(now.port).toBe(1);
  });

  it("of concurrent PATCHes from the same version exactly one wins; nothing is lost silently", async () => {
    const s = await createServer(op.access_token);
    const etag = (await api(`/api/v2/servers/${s.id}`, { token: op.access_token })).headers.get(
      "etag",
    )!;
    const ports = [1001, 1002, 1003, 1004, 1005];
    const results = await Promise.all(
      ports.map((port) =>
        api(`/api/v2/servers/${s.id}`, {
          method: "PATCH",
          token: op.access_token,
          body: { port },
          headers: { "if-match": etag },
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((x) => x === 200)).toHaveLength(1);
    expect(statuses.filter((x) => x === 412)).toHaveLength(4);
    const winner = ports[statuses.indexOf(200)];
    const now = await expectBody(
      await api(`/api/v2/servers/${s.id}`, { token: op.access_token }),
      200,
      ServerSchema,
    );
    expect(now.port).toBe(winner);
  });

  it("concurrent PATCHes without If-Match still never overwrite each other blindly", async () => {
    const s = await createServer(op.access_token);
    const results = await Promise.all(
      [3001, 3002, 3003].map((port) =>
        api(`/api/v2/servers/${s.id}`, { method: "PATCH", token: op.access_token, body: { port } }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.status === 200 || r.status === 412)).toBe(true);
  });
});
