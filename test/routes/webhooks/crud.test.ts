import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/env.ts";
import { decrypt, keyringFor } from "../../../src/lib/crypto.ts";
import {
  DeliveryListSchema,
  WebhookListSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
} from "../../../src/routes/webhooks/schemas.ts";
import { SECRET_CONTEXT } from "../../../src/services/webhooks/signing.ts";
import { expectProblem, expectStatus, type Session, seedUser } from "../../helpers.ts";
import { call, capturingQueue, createWebhook, receiverUrl } from "./helpers.ts";

let admin: Session;
let op: Session;
let other: Session;
let viewer: Session;
const q = capturingQueue();
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  op = await seedUser({ role: "operator" });
  other = await seedUser({ role: "operator" });
  viewer = await seedUser({ role: "viewer" });
});

describe("POST /webhooks", () => {
  it("creates an endpoint and shows its whsec_ secret once, stored encrypted", async () => {
    const url = receiverUrl();
    const res = await call(q, "/api/v2/webhooks", {
      method: "POST",
      token: op.access_token,
      body: { url, events: ["server.created", "server.deleted"], description: "Deploy bot" },
    });
    const body = WebhookWithSecretSchema.parse(await expectStatus(res, 201));
    expect(res.headers.get("location")).toBe(`/api/v2/webhooks/${body.id}`);
    expect(res.headers.get("etag")).toBeTruthy();
    expect(body).toMatchObject({
      url,
      events: ["server.created", "server.deleted"],
      description: "Deploy bot",
      enabled: true,
      disabled_reason: null,
      owner_id: op.user.id,
    });
    // whsec_ + base64 of 24 random bytes.
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(atob(body.secret.slice(6))).toHaveLength(24);

    const row = await env.DB.prepare("select secret_enc from webhook_endpoints where id = ?")
      .bind(body.id)
      .first<{ secret_enc: string }>();
    expect(row!.secret_enc).not.toContain(body.secret.slice(6));
    const ring = await keyringFor(loadConfig(env));
    expect(await decrypt(ring, row!.secret_enc, SECRET_CONTEXT)).toBe(body.secret);

    const got = await expectStatus(
      await call(q, `/api/v2/webhooks/${body.id}`, { token: op.access_token }),
      200,
    );
    expect(got).not.toHaveProperty("secret");
    expect(JSON.stringify(got)).not.toContain(body.secret);
    const audit = await env.DB.prepare(
      "select summary from audit_logs where action = 'webhook.created' and resource_id = ?",
    )
      .bind(body.id)
      .first<{ summary: string }>();
    expect(audit!.summary).not.toContain("whsec_");
  });

  it.each([
    [{ events: ["server.created"] }, "url"],
    [{ url: "https://hooks.example.com/x" }, "events"],
    [{ url: "https://hooks.example.com/x", events: [] }, "events"],
    [{ url: "https://hooks.example.com/x", events: ["server.exploded"] }, "events.0"],
    [{ url: "https://hooks.example.com/x", events: ["webhook.test"] }, "events.0"],
    [{ url: "https://hooks.example.com/x", events: ["*", "*"] }, "events"],
    [{ url: "https://hooks.example.com/x", events: "server.created" }, "events"],
    [{ url: 42, events: ["*"] }, "url"],
    [{ url: "not a url", events: ["*"] }, "url"],
    [{ url: "https://hooks.example.com/x", events: ["*"], enabled: "yes" }, "enabled"],
    [{ url: "https://hooks.example.com/x", events: ["*"], secret: "whsec_mine" }, "(body)"],
    [
      { url: "https://hooks.example.com/x", events: ["*"], description: "x".repeat(257) },
      "description",
    ],
  ])("refuses %j with a 422 naming the field", async (body, path) => {
    const res = await call(q, "/api/v2/webhooks", { method: "POST", token: op.access_token, body });
    const problem = await expectProblem(res, 422, "validation");
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  });

  it("viewers are refused (403) and anonymous callers get a 401", async () => {
    const body = { url: receiverUrl(), events: ["*"] };
    await expectProblem(
      await call(q, "/api/v2/webhooks", { method: "POST", token: viewer.access_token, body }),
      403,
      "forbidden",
    );
    await expectProblem(await call(q, "/api/v2/webhooks", { token: viewer.access_token }), 403);
    await expectProblem(await call(q, "/api/v2/webhooks", { method: "POST", body }), 401);
  });
});

describe("tenancy", () => {
  it("someone else's endpoint is a 404 on every route; admins manage every endpoint", async () => {
    const mine = await createWebhook(q, op.access_token);
    const base = `/api/v2/webhooks/${mine.id}`;
    const routes: [string, string, unknown?][] = [
      ["GET", base],
      ["PATCH", base, { description: "taken over" }],
      ["DELETE", base],
      ["POST", `${base}/rotate-secret`],
      ["POST", `${base}/test`],
      ["GET", `${base}/deliveries`],
      ["POST", `${base}/deliveries/0190c1d2-0000-7000-8000-000000000001/redeliver`],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(q, path, { method, token: other.access_token, body });
      await expectProblem(res, 404, "not-found");
      await expectProblem(await call(q, path, { method, token: viewer.access_token, body }), 403);
    }
    const othersList = WebhookListSchema.parse(
      await expectStatus(await call(q, "/api/v2/webhooks", { token: other.access_token }), 200),
    );
    expect(othersList.data.map((w) => w.id)).not.toContain(mine.id);

    const adminGet = await call(q, base, { token: admin.access_token });
    expect(WebhookSchema.parse(await expectStatus(adminGet, 200)).owner_id).toBe(op.user.id);
    const adminList = WebhookListSchema.parse(
      await expectStatus(
        await call(q, "/api/v2/webhooks?limit=100", { token: admin.access_token }),
        200,
      ),
    );
    expect(adminList.data.map((w) => w.id)).toContain(mine.id);
    await expectStatus(await call(q, base, { method: "DELETE", token: admin.access_token }), 204);
    await expectProblem(await call(q, base, { token: op.access_token }), 404);
  });
});

describe("GET /webhooks", () => {
  it("pages newest first with a cursor", async () => {
    const user = await seedUser({ role: "operator" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createWebhook(q, user.access_token)).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(q, `/api/v2/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
        token: user.access_token,
      });
      const page = WebhookListSchema.parse(await expectStatus(res, 200));
      seen.push(...page.data.map((w) => w.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids.toReversed());
    await expectProblem(
      await call(q, "/api/v2/webhooks?cursor=garbage!", { token: user.access_token }),
      400,
    );
  });
});

describe("PATCH and DELETE /webhooks/{id}", () => {
  it("changes fields, honours If-Match, and re-enabling clears a failure streak", async () => {
    const w = await createWebhook(q, op.access_token);
    const path = `/api/v2/webhooks/${w.id}`;
    const first = await call(q, path, { token: op.access_token });
    const etag = first.headers.get("etag")!;
    const res = await call(q, path, {
      method: "PATCH",
      token: op.access_token,
      headers: { "if-match": etag },
      body: { events: ["server.updated"], enabled: false },
    });
    const updated = WebhookSchema.parse(await expectStatus(res, 200));
    expect(updated).toMatchObject({
      events: ["server.updated"],
      enabled: false,
      disabled_reason: "manual",
    });
    await expectProblem(
      await call(q, path, {
        method: "PATCH",
        token: op.access_token,
        headers: { "if-match": etag },
        body: { description: "stale" },
      }),
      412,
    );
    await env.DB.prepare(
      "update webhook_endpoints set consecutive_failures = 12, failing_since = ? where id = ?",
    )
      .bind(new Date(Date.now() - 3_600_000).toISOString(), w.id)
      .run();
    const enabled = WebhookSchema.parse(
      await expectStatus(
        await call(q, path, { method: "PATCH", token: op.access_token, body: { enabled: true } }),
        200,
      ),
    );
    expect(enabled).toMatchObject({
      enabled: true,
      disabled_reason: null,
      consecutive_failures: 0,
      failing_since: null,
    });
    await expectProblem(
      await call(q, path, { method: "PATCH", token: op.access_token, body: {} }),
      422,
    );
    await expectProblem(
      await call(q, path, {
        method: "PATCH",
        token: op.access_token,
        body: { url: "https://10.0.0.1/hook" },
      }),
      422,
    );
  });

  it("deleting removes the endpoint and its delivery log", async () => {
    const w = await createWebhook(q, op.access_token);
    await call(q, `/api/v2/webhooks/${w.id}/test`, { method: "POST", token: op.access_token });
    const path = `/api/v2/webhooks/${w.id}`;
    await expectStatus(await call(q, path, { method: "DELETE", token: op.access_token }), 204);
    await expectProblem(await call(q, path, { token: op.access_token }), 404);
    const left = await env.DB.prepare(
      "select count(*) as n from webhook_deliveries where endpoint_id = ?",
    )
      .bind(w.id)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
  });
});

describe("POST /webhooks/{id}/rotate-secret", () => {
  it("returns a new secret and keeps the previous one signing for 24 hours", async () => {
    const w = await createWebhook(q, op.access_token);
    const before = Date.now();
    const res = await call(q, `/api/v2/webhooks/${w.id}/rotate-secret`, {
      method: "POST",
      token: op.access_token,
    });
    const rotated = WebhookWithSecretSchema.parse(await expectStatus(res, 200));
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(w.secret);
    const expires = Date.parse(rotated.previous_secret_expires_at!);
    expect(expires - before).toBeGreaterThanOrEqual(24 * 3_600_000 - 1000);
    expect(expires - before).toBeLessThanOrEqual(24 * 3_600_000 + 5000);
  });
});

describe("deliveries list", () => {
  it("filters by status and event and rejects unknown values", async () => {
    const w = await createWebhook(q, op.access_token);
    await call(q, `/api/v2/webhooks/${w.id}/test`, { method: "POST", token: op.access_token });
    const path = `/api/v2/webhooks/${w.id}/deliveries`;
    const all = DeliveryListSchema.parse(
      await expectStatus(await call(q, path, { token: op.access_token }), 200),
    );
    expect(all.data).toHaveLength(1);
    expect(all.data[0]).toMatchObject({ event_type: "webhook.test", status: "pending" });
    expect(all.data[0]!.payload).toMatchObject({ type: "webhook.test", id: all.data[0]!.event_id });
    const none = DeliveryListSchema.parse(
      await expectStatus(await call(q, `${path}?status=failed`, { token: op.access_token }), 200),
    );
    expect(none.data).toHaveLength(0);
    const byEvent = DeliveryListSchema.parse(
      await expectStatus(
        await call(q, `${path}?event=server.created`, { token: op.access_token }),
        200,
      ),
    );
    expect(byEvent.data).toHaveLength(0);
    await expectProblem(await call(q, `${path}?status=lost`, { token: op.access_token }), 422);
    await expectProblem(await call(q, `${path}?event=nope`, { token: op.access_token }), 422);
  });
});
