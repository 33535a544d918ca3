import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { retryDelaySeconds } from "../../src/queues/consumer.ts";
import { JobSchema, QueuedSchema } from "../../src/routes/jobs/get.ts";
import { ServerCheckListSchema } from "../../src/routes/servers/checks.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../helpers.ts";
import { createServer } from "../routes/servers/fixtures.ts";
import { deliver, job, mockOutbound, queuedJob } from "./helpers.ts";

let admin: Session;
let op: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  op = await seedUser({ role: "operator" });
});
afterEach(() => vi.restoreAllMocks());

const serverWith = (url: string) => createServer(op.access_token, { health_check_url: url });
const checks = (serverId: string) =>
  env.DB.prepare("select * from server_checks where server_id = ?")
    .bind(serverId)
    .all<Record<string, unknown>>();
const serverRow = (id: string) =>
  env.DB.prepare("select status, last_checked_at, version from servers where id = ?")
    .bind(id)
    .first<{ status: string; last_checked_at: string | null; version: number }>();

describe("dispatch and probes", () => {
  it("a probe job runs, records the check, marks the server up and acks", async () => {
    const s = await serverWith("https://probe-up.test/healthz");
    const spy = mockOutbound({ "https://probe-up.test/": () => new Response("ok") });
    const msg = await queuedJob("server.probe", { server_id: s.id }, op.user.id);
    const { batch, result } = await deliver([msg]);
    expect(result.explicitAcks).toEqual([batch.messages[0]!.id]);
    expect(result.retryMessages).toEqual([]);
    expect(await job(msg.job_id)).toMatchObject({ status: "succeeded", attempts: 1 });
    expect(JSON.parse((await job(msg.job_id))!.result as string)).toMatchObject({
      status: "up",
      previous: "unknown",
      http_status: 200,
    });
    expect(await serverRow(s.id)).toMatchObject({ status: "up" });
    expect((await checks(s.id)).results).toHaveLength(1);
    // traceparent propagated to the probe
    const headers = new Headers((spy.mock.calls[0]![1] as RequestInit | undefined)?.headers);
    expect(headers.get("traceparent")).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-/);
  });

  it("slow answers are degraded, errors and timeouts are down", async () => {
    const slow = await serverWith("https://probe-slow.test/");
    const broken = await serverWith("https://probe-503.test/");
    const gone = await serverWith("https://probe-gone.test/");
    mockOutbound({
      "https://probe-slow.test/": async () => {
        await new Promise((r) => setTimeout(r, 1100));
        return new Response("ok");
      },
      "https://probe-503.test/": () => new Response("", { status: 503 }),
    });
    for (const s of [slow, broken, gone])
      await deliver([await queuedJob("server.probe", { server_id: s.id }, op.user.id)]);
    expect((await serverRow(slow.id))!.status).toBe("degraded");
    expect((await serverRow(broken.id))!.status).toBe("down");
    expect((await serverRow(gone.id))!.status).toBe("down");
    const goneCheck = (await checks(gone.id)).results[0]!;
    expect(goneCheck).toMatchObject({ status: "down", error: "unreachable", http_status: null });
  });

  it("a status change enqueues a notification that e-mails the owner (outbox)", async () => {
    const s = await serverWith("https://probe-notify.test/");
    mockOutbound({ "https://probe-notify.test/": () => new Response("", { status: 500 }) });
    const msg = await queuedJob("server.probe", { server_id: s.id }, op.user.id);
    await deliver([msg]);
    const notify = await job(`${msg.job_id}.notify`);
    expect(notify).toMatchObject({
      type: "server.status_changed",
      status: "queued",
      owner_id: op.user.id,
    });
    await deliver([
      {
        job_id: `${msg.job_id}.notify`,
        type: "server.status_changed",
        payload: { server_id: s.id, from: "unknown", to: "down" },
        enqueued_at: new Date().toISOString(),
      },
    ]);
    const mail = await env.DB.prepare("select * from email_outbox where job_id = ?")
      .bind(`${msg.job_id}.notify`)
      .all<{ recipient: string; subject: string }>();
    expect(mail.results).toHaveLength(1);
    expect(mail.results[0]!.recipient).toBe(op.user.email);
    expect(mail.results[0]!.subject).toContain("is down");
  });
});

describe("exactly-once effects", () => {
  it("delivering the same batch twice records one check, one notification and one e-mail", async () => {
    const s = await serverWith("https://probe-twice.test/");
    mockOutbound({ "https://probe-twice.test/": () => new Response("", { status: 500 }) });
    const msg = await queuedJob("server.probe", { server_id: s.id }, op.user.id);
    await deliver([msg]);
    const version = (await serverRow(s.id))!.version;
    const second = await deliver([msg]);
    expect(second.result.explicitAcks).toHaveLength(1); // acknowledged, not run
    expect((await checks(s.id)).results).toHaveLength(1);
    expect((await serverRow(s.id))!.version).toBe(version);
    const notifications = await env.DB.prepare("select count(*) as n from jobs where id like ?")
      .bind(`${msg.job_id}.notify%`)
      .first<{ n: number }>();
    expect(notifications!.n).toBe(1);

    const mailMsg = await queuedJob("email.send", {
      to: ["twice@example.com"],
      subject: "Hello",
      text: "Once",
    });
    await deliver([mailMsg]);
    await deliver([mailMsg]);
    const rows = await env.DB.prepare("select count(*) as n from email_outbox where job_id = ?")
      .bind(mailMsg.job_id)
      .first<{ n: number }>();
    expect(rows!.n).toBe(1);
  });

  it("even a redelivery after a crash mid-job (job still 'failed') does not repeat the e-mail", async () => {
    const mailMsg = await queuedJob("email.send", {
      to: ["crash@example.com"],
      subject: "Hi",
      text: "x",
    });
    await deliver([mailMsg]);
    // Simulate: the effect happened but the consumer died before recording success.
    await env.DB.prepare("update jobs set status = 'failed' where id = ?")
      .bind(mailMsg.job_id)
      .run();
    await deliver([mailMsg], { attempts: 2 });
    const rows = await env.DB.prepare("select count(*) as n from email_outbox where job_id = ?")
      .bind(mailMsg.job_id)
      .first<{ n: number }>();
    expect(rows!.n).toBe(1);
    expect(await job(mailMsg.job_id)).toMatchObject({ status: "succeeded", attempts: 2 });
  });
});

describe("retries and dead letters", () => {
  const failingProvider = { EMAIL_PROVIDER_URL: "https://mail.test/send", EMAIL_API_KEY: "k" };

  it("a failing handler is retried with an exponential delay and the error recorded", async () => {
    mockOutbound({ "https://mail.test/": () => new Response("boom", { status: 500 }) });
    const msg = await queuedJob("email.send", { to: ["r@example.com"], subject: "s", text: "t" });
    const { batch, result, retryOptions } = await deliver([msg], {
      attempts: 2,
      overrides: failingProvider,
    });
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
    expect(result.retryMessages[0]!.msgId).toBe(batch.messages[0]!.id);
    const delay = retryOptions.get(batch.messages[0]!.id)!.delaySeconds!;
    expect(delay).toBeGreaterThanOrEqual(15); // 20 s ± 25 % for the 2nd delivery
    expect(delay).toBeLessThanOrEqual(25);
    expect(await job(msg.job_id)).toMatchObject({ status: "failed", attempts: 2 });
    expect((await job(msg.job_id))!.last_error).toContain("e-mail provider answered 500");
  });

  it("backoff doubles per attempt and is capped at 10 minutes", () => {
    expect(retryDelaySeconds(1, () => 0.5)).toBe(10);
    expect(retryDelaySeconds(2, () => 0.5)).toBe(20);
    expect(retryDelaySeconds(4, () => 0.5)).toBe(80);
    expect(retryDelaySeconds(20, () => 0.5)).toBe(600);
  });

  it("the last delivery marks the job dead and hands the message to the DLQ; the DLQ consumer audits it", async () => {
    mockOutbound({ "https://mail.test/": () => new Response("boom", { status: 500 }) });
    const msg = await queuedJob("email.send", { to: ["d@example.com"], subject: "s", text: "t" });
    const { batch, result, retryOptions } = await deliver([msg], {
      attempts: 5,
      overrides: failingProvider,
    });
    expect(result.retryMessages).toHaveLength(1);
    expect(retryOptions.get(batch.messages[0]!.id)?.delaySeconds).toBeUndefined();
    expect(await job(msg.job_id)).toMatchObject({ status: "dead" });
    const dlq = await deliver([msg], { queue: "edgepanel-jobs-dlq" });
    expect(dlq.result.explicitAcks).toHaveLength(1);
    const audit = await env.DB.prepare(
      "select * from audit_logs where action = 'job.dead_lettered' and resource_id = ?",
    )
      .bind(msg.job_id)
      .first<{ actor_type: string }>();
    expect(audit!.actor_type).toBe("system");
  });

  it("an invalid message is dropped (acked), never retried into the DLQ", async () => {
    const { result } = await deliver([
      { type: "nope", job_id: "x" },
      "garbage",
      { type: "server.probe", payload: {}, job_id: "y", enqueued_at: "now" },
    ]);
    expect(result.explicitAcks).toHaveLength(3);
    expect(result.retryMessages).toEqual([]);
  });
});

describe("bulk e-mail", () => {
  it("fans out to chunks of 50 and a redelivery creates no new children", async () => {
    const now = new Date().toISOString();
    const stmts = Array.from({ length: 120 }, (_, i) =>
      env.DB.prepare(
        "insert into users (id, email, name, role, created_at, updated_at) values (?, ?, 'V', 'viewer', ?, ?)",
      ).bind(crypto.randomUUID(), `bulk-${i}@example.com`, now, now),
    );
    await env.DB.batch(stmts);
    const msg = await queuedJob("email.bulk", { role: "viewer", subject: "News", text: "Hello" });
    await deliver([msg]);
    const result = JSON.parse((await job(msg.job_id))!.result as string);
    expect(result.recipients).toBeGreaterThanOrEqual(120);
    const children = await env.DB.prepare("select id from jobs where id like ?")
      .bind(`${msg.job_id}.%`)
      .all();
    expect(children.results.length).toBe(result.chunks);
    await env.DB.prepare("update jobs set status = 'queued' where id = ?").bind(msg.job_id).run();
    await deliver([msg], { attempts: 2 });
    const again = await env.DB.prepare("select id from jobs where id like ?")
      .bind(`${msg.job_id}.%`)
      .all();
    expect(again.results.length).toBe(children.results.length);
  });
});

describe("API: probe now and job status", () => {
  it("POST /servers/{id}/checks answers 202 with the job and a Location; the job is readable by its owner and admins only", async () => {
    const s = await serverWith("https://probe-api.test/");
    const res = await api(`/api/v2/servers/${s.id}/checks`, {
      method: "POST",
      token: op.access_token,
    });
    const body = await expectBody(res, 202, QueuedSchema);
    expect(body.status).toBe("queued");
    expect(res.headers.get("location")).toBe(`/api/v2/jobs/${body.job_id}`);
    const j = await expectBody(
      await api(`/api/v2/jobs/${body.job_id}`, { token: op.access_token }),
      200,
      JobSchema,
    );
    expect(j.type).toBe("server.probe");
    await expectStatus(
      await api(`/api/v2/jobs/${body.job_id}`, { token: admin.access_token }),
      200,
    );
    const other = await seedUser({ role: "operator" });
    await expectProblem(
      await api(`/api/v2/jobs/${body.job_id}`, { token: other.access_token }),
      404,
    );

    mockOutbound({ "https://probe-api.test/": () => new Response("ok") });
    await deliver([
      {
        job_id: body.job_id,
        type: "server.probe",
        payload: { server_id: s.id },
        enqueued_at: new Date().toISOString(),
      },
    ]);
    const done = await expectBody(
      await api(`/api/v2/jobs/${body.job_id}`, { token: op.access_token }),
      200,
      JobSchema,
    );
    expect(done).toMatchObject({ status: "succeeded", result: { status: "up" } });
    const history = await expectBody(
      await api(`/api/v2/servers/${s.id}/checks`, { token: op.access_token }),
      200,
      ServerCheckListSchema,
    );
    expect(history.data[0]).toMatchObject({ status: "up", job_id: body.job_id });
  });

  it("a server without a health_check_url cannot be probed (409); viewers cannot probe (403)", async () => {
    const s = await createServer(op.access_token);
    await expectProblem(
      await api(`/api/v2/servers/${s.id}/checks`, { method: "POST", token: op.access_token }),
      409,
    );
    const viewer = await seedUser({ role: "viewer" });
    await expectProblem(
      await api(`/api/v2/servers/${s.id}/checks`, { method: "POST", token: viewer.access_token }),
      403,
    );
  });
});
