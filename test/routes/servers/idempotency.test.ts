import { env } from "cloudflare:workers";
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
import { serverBody } from "./fixtures.ts";

let op: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
});

const post = (key: string, body: unknown, token = op.access_token) =>
  api("/api/v2/servers", { method: "POST", token, body, headers: { "idempotency-key": key } });
const countNamed = async (name: string) =>
  (await env.DB.prepare("select count(*) as n from servers where name = ?")
    .bind(name)
    .first<{ n: number }>())!.n;

describe("Idempotency-Key", () => {
  it("replays the first response for the same key and body, creating once", async () => {
    const body = serverBody();
    const first = await post("key-replay-1", body);
    const a = await expectBody(first, 201, ServerSchema);
    expect(first.headers.get("idempotency-replayed")).toBeNull();
    const second = await post("key-replay-1", body);
    const b = await expectBody(second, 201, ServerSchema);
    expect(second.headers.get("idempotency-replayed")).toBe("true");
    expect(b).toEqual(a);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(await countNamed(body.name)).toBe(1);
  });

  it("does not remember a failed request: a corrected retry with the same key goes through", async () => {
    const body = serverBody({ port: 0 });
    await expectProblem(await post("key-422", body), 422);
    const fixed = await post("key-422", { ...body, port: 22 });
    await expectStatus(fixed, 201);
    expect(fixed.headers.get("idempotency-replayed")).toBeNull();
  });

  it("the same key with a different body is 422", async () => {
    const body = serverBody();
    await expectStatus(await post("key-mismatch", body), 201);
    const res = await post("key-mismatch", { ...body, port: 8443 });
    const p = await expectProblem(res, 422, "validation");
    expect(p.errors![0]!.path).toBe("header.idempotency-key");
  });

  it("a duplicate while the first is still running is 409", async () => {
    const body = serverBody();
    // Hold the key as an in-flight first request would (same scope and request hash).
    const first = await post("key-running", body);
    await expectStatus(first, 201);
    const row = await env.DB.prepare(
      "select key, request_hash from idempotency_keys where key like ?",
    )
      .bind("%:key-running")
      .first<{ key: string; request_hash: string }>();
    await env.DB.prepare(
      "update idempotency_keys set state = 'running', status = null, body = null where key = ?",
    )
      .bind(row!.key)
      .run();
    const dup = await post("key-running", body);
    await expectProblem(dup, 409, "conflict");
    expect(dup.headers.get("retry-after")).toBe("1");
  });

  it("concurrent duplicates create exactly one server", async () => {
    const body = serverBody();
    const results = await Promise.all(Array.from({ length: 5 }, () => post("key-race", body)));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(await countNamed(body.name)).toBe(1);
  });

  it("keys are scoped per caller: another user's same key is independent", async () => {
    const other = await seedUser({ role: "operator" });
    const body = serverBody();
    await expectStatus(await post("shared-key", body), 201);
    const theirs = await post("shared-key", body, other.access_token);
    await expectStatus(theirs, 201);
    expect(theirs.headers.get("idempotency-replayed")).toBeNull();
  });

  it("an invalid key is a 400", async () => {
    await expectProblem(await post("x".repeat(256), serverBody()), 400);
    await expectProblem(await post("with space", serverBody()), 400);
  });
});
