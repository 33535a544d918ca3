import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { verifyWebhook } from "@edgepanel/client";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Bindings } from "../../../src/env.ts";
import worker from "../../../src/index.ts";
import type { JobMessage } from "../../../src/queues/enqueue.ts";
import { MAX_ATTEMPTS } from "../../../src/services/webhooks/schedule.ts";
import { expectProblem, expectStatus, type Session, seedUser } from "../../helpers.ts";
import { serverBody } from "../../routes/servers/fixtures.ts";
import {
  attemptsOf,
  type Capture,
  call,
  capturingQueue,
  createWebhook,
  deliveriesOf,
  receiver,
  receiverUrl,
  runAttempts,
  sentMessages,
} from "../../routes/webhooks/helpers.ts";

let admin: Session;
let op: Session;
let other: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  op = await seedUser({ role: "operator" });
  other = await seedUser({ role: "operator" });
});
afterEach(() => vi.restoreAllMocks());

const TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

async function createServerVia(q: Capture, token: string, over: Record<string, unknown> = {}) {
  return expectStatus<{ id: string; name: string }>(
    await call(q, "/api/v2/servers", {
      method: "POST",
      token,
      body: serverBody(over),
      headers: { traceparent: TRACE },
    }),
    201,
  );
}

/** A fresh operator with one endpoint subscribed to `events`, and its captured queue. */
async function setup(events: string[] = ["*"], url = receiverUrl()) {
  const q = capturingQueue();
  const user = await seedUser({ role: "operator" });
  const hook = await createWebhook(q, user.access_token, { url, events });
  return { q, user, hook };
}

/** Queues a test event for the endpoint and returns its first attempt's message. */
async function testEvent(q: Capture, token: string, hookId: string) {
  const res = await call(q, `/api/v2/webhooks/${hookId}/test`, { method: "POST", token });
  const queued = await expectStatus<{ job_id: string; delivery_id: string; event_id: string }>(
    res,
    202,
  );
  const [message] = (await sentMessages(q, 1)).map((s) => s.body);
  expect(message!.job_id).toBe(queued.job_id);
  return { ...queued, message: message! };
}

describe("emitting events", () => {
  it("a server write emits one event, in its batch, to each subscribed endpoint that may see it", async () => {
    const q = capturingQueue();
    const created = await createWebhook(q, op.access_token, { events: ["server.created"] });
    const deletedOnly = await createWebhook(q, op.access_token, { events: ["server.deleted"] });
    const othersHook = await createWebhook(q, other.access_token, { events: ["*"] });
    const adminHook = await createWebhook(q, admin.access_token, { events: ["*"] });
    const disabled = await createWebhook(q, op.access_token, { events: ["*"], enabled: false });

    const server = await createServerVia(q, op.access_token);
    const event = await env.DB.prepare(
      "select * from webhook_events where type = 'server.created' and body like ?",
    )
      .bind(`%${server.id}%`)
      .first<{ id: string; body: string; owner_id: string; traceparent: string }>();
    expect(event).toMatchObject({ owner_id: op.user.id });
    expect(event!.traceparent.split("-")[1]).toBe(TRACE.split("-")[1]);
    expect(JSON.parse(event!.body)).toMatchObject({
      id: event!.id,
      type: "server.created",
      data: { id: server.id, name: server.name, owner_id: op.user.id },
    });
    expect(event!.body).not.toMatch(/credentials_enc|secret/);

    const targets = await env.DB.prepare(
      "select endpoint_id from webhook_deliveries where event_id = ?",
    )
      .bind(event!.id)
      .all<{ endpoint_id: string }>();
    expect(targets.results.map((r) => r.endpoint_id).sort()).toEqual(
      [created.id, adminHook.id].sort(),
    );
    for (const id of [deletedOnly.id, othersHook.id, disabled.id])
      expect(await deliveriesOf(id)).toEqual([]);

    const messages = (await sentMessages(q, 2)).map((s) => s.body);
    expect(messages).toHaveLength(2);
    for (const m of messages)
      expect(m).toMatchObject({ type: "webhook.deliver", payload: { attempt: 1 } });
    // Admins' endpoints receive every user's events: keep this one out of the other tests.
    await expectStatus(
      await call(q, `/api/v2/webhooks/${adminHook.id}`, {
        method: "DELETE",
        token: admin.access_token,
      }),
      204,
    );
  });

  it("a write that does not apply emits nothing (409 name taken, 412 stale)", async () => {
    const { q, user, hook } = await setup();
    const server = await createServerVia(q, user.access_token);
    await sentMessages(q, 1);
    const count = async () => (await deliveriesOf(hook.id)).length;
    const before = await count();
    await expectProblem(
      await call(q, "/api/v2/servers", {
        method: "POST",
        token: user.access_token,
        body: serverBody({ name: server.name }),
      }),
      409,
    );
    await expectProblem(
      await call(q, `/api/v2/servers/${server.id}`, {
        method: "PATCH",
        token: user.access_token,
        headers: { "if-match": '"stale.1"' },
        body: { port: 8443 },
      }),
      412,
    );
    expect(await count()).toBe(before);
    await expectStatus(
      await call(q, `/api/v2/servers/${server.id}`, {
        method: "PATCH",
        token: user.access_token,
        body: { port: 8443 },
      }),
      200,
    );
    await expectStatus(
      await call(q, `/api/v2/servers/${server.id}`, { method: "DELETE", token: user.access_token }),
      204,
    );
    const types = (await deliveriesOf(hook.id)).map((d) => d.event_type);
    expect(types).toEqual(["server.created", "server.updated", "server.deleted"]);
  });
});

describe("delivering", () => {
  it("signs per Standard Webhooks: the receiver verifies with standardwebhooks, traceparent included", async () => {
    const { q, user, hook } = await setup();
    await createServerVia(q, user.access_token);
    const [message] = (await sentMessages(q, 1)).map((s) => s.body);
    const { received } = receiver(hook.url, [() => new Response("thanks", { status: 200 })]);
    await runAttempts(q, [message!]);

    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    const payload = new Webhook(hook.secret).verify(body, Object.fromEntries(headers)) as {
      id: string;
      type: string;
    };
    expect(payload.type).toBe("server.created");
    expect(headers.get("webhook-id")).toBe(payload.id);
    expect(verifyWebhook(hook.secret, headers, body)).toEqual(payload);
    expect(headers.get("traceparent")?.split("-")[1]).toBe(TRACE.split("-")[1]);
    expect(headers.get("content-type")).toBe("application/json");
    expect(() =>
      new Webhook(`whsec_${btoa("another secret entirely")}`).verify(
        body,
        Object.fromEntries(headers),
      ),
    ).toThrow();

    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ status: "succeeded", attempts: 1, last_status_code: 200 });
    const [attempt] = await attemptsOf(delivery!.id as string);
    expect(attempt).toMatchObject({ attempt: 1, status_code: 200, response_body: "thanks" });
    expect(attempt!.error).toBeNull();
    expect(q.sent).toEqual([]); // success: no next attempt
  });

  it("retries 500, 429 (Retry-After) and timeouts on the schedule with a stable webhook-id; success stops", async () => {
    const { q, user, hook } = await setup();
    const { message, delivery_id } = await testEvent(q, user.access_token, hook.id);
    const long = "x".repeat(5000);
    const { received } = receiver(hook.url, [
      () => new Response(long, { status: 500 }),
      () => new Response("slow down", { status: 429, headers: { "retry-after": "120" } }),
      () => Promise.reject(new DOMException("The operation timed out.", "TimeoutError")),
      () => new Response(null, { status: 204 }),
    ]);
    const delays: (number | undefined)[] = [];
    let next: JobMessage = message;
    for (let attempt = 1; attempt <= 3; attempt++) {
      await runAttempts(q, [next]);
      const sent = q.take();
      expect(sent, `attempt ${attempt} schedules one more`).toHaveLength(1);
      delays.push(sent[0]!.delaySeconds);
      next = sent[0]!.body;
      expect(next).toMatchObject({
        job_id: `${delivery_id}.${attempt + 1}`,
        payload: { delivery_id, attempt: attempt + 1 },
      });
    }
    expect(delays[0]).toBeGreaterThanOrEqual(4.5);
    expect(delays[0]).toBeLessThanOrEqual(5.5);
    expect(delays[1]).toBe(120);
    expect(delays[2]).toBeGreaterThanOrEqual(1620);
    expect(delays[2]).toBeLessThanOrEqual(1980);
    const pending = (await deliveriesOf(hook.id))[0]!;
    expect(pending).toMatchObject({ status: "pending", attempts: 3 });
    // The next attempt's job row is due when its message is, so the sweep leaves it alone.
    const row = await env.DB.prepare("select created_at from jobs where id = ?")
      .bind(next.job_id)
      .first<{ created_at: string }>();
    expect(Date.parse(row!.created_at)).toBeGreaterThan(Date.now() + 1500_000);

    await runAttempts(q, [next]);
    expect(q.sent).toEqual([]);
    const eventId = (await deliveriesOf(hook.id))[0]!.event_id;
    expect(received.map((r) => r.headers.get("webhook-id"))).toEqual(Array(4).fill(eventId));
    const attempts = await attemptsOf(delivery_id);
    expect(attempts.map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, "http_500"],
      [2, 429, "http_429"],
      [3, null, "timeout"],
      [4, 204, null],
    ]);
    expect((attempts[0]!.response_body as string).length).toBe(1024);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({
      status: "succeeded",
      attempts: 4,
      next_attempt_at: null,
    });
    const endpoint = await env.DB.prepare(
      "select consecutive_failures, failing_since from webhook_endpoints where id = ?",
    )
      .bind(hook.id)
      .first();
    expect(endpoint).toEqual({ consecutive_failures: 0, failing_since: null });
  });

  it("is `failed` after the last attempt, and at once on a 4xx or a redirect (never followed)", async () => {
    const { q, user, hook } = await setup();
    const { message, delivery_id } = await testEvent(q, user.access_token, hook.id);
    await env.DB.prepare("update webhook_deliveries set attempts = ? where id = ?")
      .bind(MAX_ATTEMPTS - 1, delivery_id)
      .run();
    receiver(hook.url, [() => new Response("down", { status: 503 })]);
    // The last attempt's job, as the seventh attempt's failure schedules it.
    const now = new Date().toISOString();
    const last: JobMessage = {
      ...message,
      job_id: `${delivery_id}.${MAX_ATTEMPTS}`,
      payload: { delivery_id, attempt: MAX_ATTEMPTS },
    };
    await env.DB.prepare(
      "insert into jobs (id, type, status, attempts, payload, created_at, updated_at) values (?, 'webhook.deliver', 'queued', 0, ?, ?, ?)",
    )
      .bind(last.job_id, JSON.stringify(last.payload), now, now)
      .run();
    await runAttempts(q, [last]);
    expect(q.sent).toEqual([]);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({
      status: "failed",
      attempts: MAX_ATTEMPTS,
      last_error: "http_503",
    });
    expect(
      await env.DB.prepare("select consecutive_failures from webhook_endpoints where id = ?")
        .bind(hook.id)
        .first(),
    ).toEqual({ consecutive_failures: 1 });

    for (const reply of [
      () => new Response("no such hook", { status: 410 }),
      () => new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } }),
    ]) {
      vi.restoreAllMocks();
      const { received, spy } = receiver(hook.url, [reply]);
      const t = await testEvent(q, user.access_token, hook.id);
      await runAttempts(q, [t.message]);
      expect(received).toHaveLength(1);
      expect((spy.mock.calls[0]![1] as RequestInit).redirect).toBe("manual");
      expect(q.sent).toEqual([]);
      const d = (await deliveriesOf(hook.id)).find((r) => r.id === t.delivery_id);
      expect(d).toMatchObject({ status: "failed", attempts: 1 });
    }
  });

  it("a redelivered queue message never sends the same attempt twice", async () => {
    const { q, user, hook } = await setup();
    const { message, delivery_id } = await testEvent(q, user.access_token, hook.id);
    const { received } = receiver(hook.url, [() => new Response("ok")]);
    await runAttempts(q, [message]);
    // The queue hands the same message over again (at-least-once delivery)...
    await env.DB.prepare("update jobs set status = 'queued' where id = ?")
      .bind(message.job_id)
      .run();
    await runAttempts(q, [message], 2);
    expect(received).toHaveLength(1);
    expect(await attemptsOf(delivery_id)).toHaveLength(1);
  });

  it("refuses a URL the outbound policy refuses at delivery time: nothing is sent", async () => {
    const { q, user, hook } = await setup();
    const { message, delivery_id } = await testEvent(q, user.access_token, hook.id);
    await env.DB.prepare("update webhook_endpoints set url = ? where id = ?")
      .bind("https://169.254.169.254/latest/meta-data/", hook.id)
      .run();
    const spy = vi.spyOn(globalThis, "fetch");
    await runAttempts(q, [message]);
    expect(spy).not.toHaveBeenCalled();
    expect((await attemptsOf(delivery_id))[0]).toMatchObject({
      error: "url_refused",
      status_code: null,
    });
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: "failed" });
  });
});

describe("redelivery and the test event", () => {
  it("redelivers a finished delivery with the same webhook-id and body; a pending one is a 409", async () => {
    const { q, user, hook } = await setup();
    const first = await testEvent(q, user.access_token, hook.id);
    const base = `/api/v2/webhooks/${hook.id}/deliveries`;
    await expectProblem(
      await call(q, `${base}/${first.delivery_id}/redeliver`, {
        method: "POST",
        token: user.access_token,
      }),
      409,
    );
    const { received } = receiver(hook.url, [
      () => new Response("broken", { status: 400 }),
      () => new Response("fixed"),
    ]);
    await runAttempts(q, [first.message]);
    const res = await call(q, `${base}/${first.delivery_id}/redeliver`, {
      method: "POST",
      token: user.access_token,
    });
    const again = await expectStatus<{ job_id: string; delivery_id: string; event_id: string }>(
      res,
      202,
    );
    expect(res.headers.get("location")).toBe(`/api/v2/jobs/${again.job_id}`);
    expect(again.event_id).toBe(first.event_id);
    const [message] = (await sentMessages(q, 1)).map((s) => s.body);
    await runAttempts(q, [message!]);
    expect(received).toHaveLength(2);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(received[1]!.headers.get("webhook-id")).toBe(received[0]!.headers.get("webhook-id"));
    expect(JSON.parse(received[0]!.body)).toMatchObject({
      type: "webhook.test",
      data: { webhook_id: hook.id },
    });
    const log = await expectStatus<{ data: Record<string, unknown>[] }>(
      await call(q, base, { token: user.access_token }),
      200,
    );
    expect(log.data.map((d) => [d.status, d.redelivery_of])).toEqual([
      ["succeeded", first.delivery_id],
      ["failed", null],
    ]);
    await expectProblem(
      await call(q, `${base}/0190c1d2-0000-7000-8000-000000000001/redeliver`, {
        method: "POST",
        token: user.access_token,
      }),
      404,
    );
  });

  it("a disabled endpoint gets no test event and no redelivery (409)", async () => {
    const { q, user, hook } = await setup();
    await call(q, `/api/v2/webhooks/${hook.id}`, {
      method: "PATCH",
      token: user.access_token,
      body: { enabled: false },
    });
    await expectProblem(
      await call(q, `/api/v2/webhooks/${hook.id}/test`, {
        method: "POST",
        token: user.access_token,
      }),
      409,
    );
  });
});

describe("secret rotation", () => {
  it("signs with both secrets for 24 hours, then with the new one only", async () => {
    const { q, user, hook } = await setup();
    const rotated = await expectStatus<{ secret: string }>(
      await call(q, `/api/v2/webhooks/${hook.id}/rotate-secret`, {
        method: "POST",
        token: user.access_token,
      }),
      200,
    );
    const { received } = receiver(hook.url, [() => new Response("ok")]);
    const t1 = await testEvent(q, user.access_token, hook.id);
    await runAttempts(q, [t1.message]);
    const { headers, body } = received[0]!;
    expect(headers.get("webhook-signature")!.split(" ")).toHaveLength(2);
    const h = Object.fromEntries(headers);
    expect(new Webhook(hook.secret).verify(body, h)).toMatchObject({ type: "webhook.test" });
    expect(new Webhook(rotated.secret).verify(body, h)).toMatchObject({ type: "webhook.test" });

    await env.DB.prepare("update webhook_endpoints set previous_secret_expires_at = ? where id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), hook.id)
      .run();
    const t2 = await testEvent(q, user.access_token, hook.id);
    await runAttempts(q, [t2.message]);
    const later = received[1]!;
    expect(later.headers.get("webhook-signature")!.split(" ")).toHaveLength(1);
    const h2 = Object.fromEntries(later.headers);
    expect(() => new Webhook(hook.secret).verify(later.body, h2)).toThrow();
    expect(new Webhook(rotated.secret).verify(later.body, h2)).toBeTruthy();
  });
});

describe("auto-disable", () => {
  it("after 50 failed deliveries in a row: disabled, audited, owner e-mailed; later attempts send nothing", async () => {
    const { q, user, hook } = await setup();
    const t = await testEvent(q, user.access_token, hook.id);
    await env.DB.batch([
      env.DB.prepare(
        "update webhook_endpoints set consecutive_failures = 49, failing_since = ? where id = ?",
      ).bind(new Date(Date.now() - 3_600_000).toISOString(), hook.id),
    ]);
    receiver(hook.url, [() => new Response("gone", { status: 404 })]);
    await runAttempts(q, [t.message]);
    const endpoint = await env.DB.prepare(
      "select enabled, disabled_reason, consecutive_failures from webhook_endpoints where id = ?",
    )
      .bind(hook.id)
      .first();
    expect(endpoint).toEqual({ enabled: 0, disabled_reason: "failing", consecutive_failures: 50 });
    const audit = await env.DB.prepare(
      "select actor_type, summary from audit_logs where action = 'webhook.disabled' and resource_id = ?",
    )
      .bind(hook.id)
      .first<{ actor_type: string; summary: string }>();
    expect(audit).toMatchObject({ actor_type: "system" });
    const mail = await env.DB.prepare(
      "select status, payload from jobs where type = 'email.send' and id like ?",
    )
      .bind(`${hook.id}.disabled.%`)
      .first<{ status: string; payload: string }>();
    expect(mail!.status).toBe("queued");
    expect(JSON.parse(mail!.payload)).toMatchObject({ to: [user.user.email] });
    expect(q.take().some((s) => s.body.type === "email.send")).toBe(true);

    // A delivery still in its schedule finds the endpoint disabled and stops there.
    const pending = await testEventRow(user.access_token, hook.id, q);
    vi.restoreAllMocks();
    const spy = vi.spyOn(globalThis, "fetch");
    await runAttempts(q, [pending]);
    expect(spy).not.toHaveBeenCalled();
  });

  it("after 3 days without a successful attempt", async () => {
    const { q, user, hook } = await setup();
    const t = await testEvent(q, user.access_token, hook.id);
    await env.DB.prepare("update webhook_endpoints set failing_since = ? where id = ?")
      .bind(new Date(Date.now() - 3 * 86_400_000 - 60_000).toISOString(), hook.id)
      .run();
    receiver(hook.url, [() => new Response("err", { status: 500 })]);
    await runAttempts(q, [t.message]);
    const endpoint = await env.DB.prepare(
      "select enabled, disabled_reason from webhook_endpoints where id = ?",
    )
      .bind(hook.id)
      .first();
    expect(endpoint).toEqual({ enabled: 0, disabled_reason: "failing" });
  });
});

/** A pending delivery queued while the endpoint was still enabled (written directly). */
async function testEventRow(token: string, hookId: string, q: Capture): Promise<JobMessage> {
  await env.DB.prepare("update webhook_endpoints set enabled = 1 where id = ?").bind(hookId).run();
  const t = await testEvent(q, token, hookId);
  await env.DB.prepare("update webhook_endpoints set enabled = 0 where id = ?").bind(hookId).run();
  return t.message;
}

describe("events written but never enqueued", () => {
  it("are swept by the cron a minute later and delivered once", async () => {
    const { q, user, hook } = await setup(["server.created"]);
    const downQueue = {
      send: () => Promise.reject(new Error("queue unavailable")),
      sendBatch: () => Promise.reject(new Error("queue unavailable")),
    } as unknown as Queue;
    const res = await call(q, "/api/v2/servers", {
      method: "POST",
      token: user.access_token,
      body: serverBody(),
      overrides: { JOBS: downQueue },
    });
    await expectStatus(res, 201);
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ status: "pending", attempts: 0 });
    const jobId = `${delivery!.id}.1`;
    await env.DB.prepare("update jobs set created_at = ? where id = ?")
      .bind(new Date(Date.now() - 2 * 60_000).toISOString(), jobId)
      .run();
    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *" }),
      { ...env, JOBS: q.queue } as Bindings,
      createExecutionContext(),
    );
    const swept = q.take().filter((s) => s.body.job_id === jobId);
    expect(swept).toHaveLength(1);
    const { received } = receiver(hook.url, [() => new Response("ok")]);
    await runAttempts(q, [swept[0]!.body]);
    // A late copy of the original message changes nothing.
    await runAttempts(q, [swept[0]!.body], 2);
    expect(received).toHaveLength(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ status: "succeeded", attempts: 1 });
  });
});

describe("probe status changes", () => {
  it("emit server.status_changed with the transition", async () => {
    const { q, user, hook } = await setup(["server.status_changed"]);
    const health = receiverUrl("health");
    const server = await createServerVia(q, user.access_token, { health_check_url: health });
    q.take();
    const probe = await expectStatus<{ job_id: string }>(
      await call(q, `/api/v2/servers/${server.id}/checks`, {
        method: "POST",
        token: user.access_token,
      }),
      202,
    );
    const [probeMessage] = (await sentMessages(q, 1)).map((s) => s.body);
    expect(probeMessage!.job_id).toBe(probe.job_id);
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("up"));
    await runAttempts(q, [probeMessage!]);
    const [delivery] = await deliveriesOf(hook.id);
    expect(delivery).toMatchObject({ event_type: "server.status_changed" });
    const event = await env.DB.prepare("select body from webhook_events where id = ?")
      .bind(delivery!.event_id)
      .first<{ body: string }>();
    expect(JSON.parse(event!.body).data).toMatchObject({
      id: server.id,
      previous_status: "unknown",
      status: "up",
    });
  });
});
