import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Bindings } from "../../src/env.ts";
import worker from "../../src/index.ts";
import { nowIso, uuidv7 } from "../../src/lib/ids.ts";
import { QueuedSchema } from "../../src/routes/jobs/get.ts";
import { fetchWith } from "../app/broken-env.ts";
import { expectBody, type Session, seedUser } from "../helpers.ts";
import { createServer } from "../routes/servers/fixtures.ts";

let op: Session;
beforeAll(async () => {
  op = await seedUser({ role: "operator" });
});

/** The real queue, observed: every send goes through to env.JOBS unchanged. */
function countingQueue() {
  const calls: number[] = [];
  const queue = {
    send: (body: unknown, o?: QueueSendOptions) => env.JOBS.send(body, o),
    sendBatch: (messages: Iterable<MessageSendRequest>, o?: QueueSendBatchOptions) => {
      const list = [...messages];
      calls.push(list.length);
      return env.JOBS.sendBatch(list, o);
    },
  } as Queue;
  return { queue, calls };
}

describe("*/5 * * * * health probes", () => {
  it("enqueues one probe per server with a URL, in sendBatch pages of 100", async () => {
    const now = nowIso();
    const stmts = Array.from({ length: 250 }, (_, i) =>
      env.DB.prepare(
        "insert into servers (id, owner_id, name, host, port, environment, tags, status, health_check_url, version, created_at, updated_at) values (?, ?, ?, 'h.example.com', 443, 'production', '[]', 'unknown', ?, 1, ?, ?)",
      ).bind(
        uuidv7(),
        op.user.id,
        `cron-${i}`,
        i % 5 === 4 ? null : `https://cron-${i}.test/`,
        now,
        now,
      ),
    );
    await env.DB.batch(stmts);
    const { queue, calls } = countingQueue();
    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }),
      { ...env, JOBS: queue } as Bindings,
      createExecutionContext(),
    );
    const expected = 200; // 250 servers, every fifth without a URL
    // Any status: the real queue may deliver the first messages and its consumer start
    // on them before this count is read.
    const jobs = await env.DB.prepare(
      "select count(*) as n from jobs where type = 'server.probe'",
    ).first<{ n: number }>();
    expect(jobs!.n).toBe(expected);
    expect(calls).toEqual([100, 100]);
  });

  it("an unknown cron expression does nothing (and does not throw)", async () => {
    const count = async () =>
      (await env.DB.prepare(
        "select (select count(*) from jobs) + (select count(*) from audit_logs) as n",
      ).first<{ n: number }>())!.n;
    const before = await count();
    const { queue, calls } = countingQueue();
    await expect(
      worker.scheduled(
        createScheduledController({ cron: "1 1 1 1 1" }),
        {
          ...env,
          JOBS: queue,
        } as Bindings,
        createExecutionContext(),
      ),
    ).resolves.toBeUndefined();
    expect(calls).toEqual([]);
    expect(await count()).toBe(before);
  });
});

describe("0 4 * * * maintenance", () => {
  it("deletes only what has expired, and audits the counts", async () => {
    const day = 86_400_000;
    const t = (ms: number) => new Date(Date.now() + ms).toISOString();
    const u = op.user.id;
    const ins = (sql: string, ...binds: unknown[]) => env.DB.prepare(sql).bind(...binds);
    await env.DB.batch([
      ins(
        "insert into refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) values ('rt-old', ?, 'f1', 'h-old', ?, ?)",
        u,
        t(-day),
        t(-31 * day),
      ),
      ins(
        "insert into refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) values ('rt-live', ?, 'f2', 'h-live', ?, ?)",
        u,
        t(day),
        t(0),
      ),
      ins(
        "insert into api_keys (id, owner_id, name, prefix, key_hash, scopes, revoked_at, created_at, updated_at) values ('k-old', ?, 'x', 'ep_live_xxxx', 'kh-old', '[]', ?, ?, ?)",
        u,
        t(-40 * day),
        t(-50 * day),
        t(-40 * day),
      ),
      ins(
        "insert into api_keys (id, owner_id, name, prefix, key_hash, scopes, revoked_at, created_at, updated_at) values ('k-recent', ?, 'x', 'ep_live_xxxx', 'kh-recent', '[]', ?, ?, ?)",
        u,
        t(-2 * day),
        t(-50 * day),
        t(-2 * day),
      ),
      ins(
        "insert into idempotency_keys (key, request_hash, state, created_at, expires_at) values ('i-old', 'h', 'done', ?, ?)",
        t(-2 * day),
        t(-day),
      ),
      ins(
        "insert into idempotency_keys (key, request_hash, state, created_at, expires_at) values ('i-live', 'h', 'done', ?, ?)",
        t(0),
        t(day),
      ),
      ins(
        "insert into jobs (id, type, status, attempts, created_at, updated_at, finished_at) values ('j-old', 'email.send', 'succeeded', 1, ?, ?, ?)",
        t(-40 * day),
        t(-40 * day),
        t(-40 * day),
      ),
      ins(
        "insert into jobs (id, type, status, attempts, created_at, updated_at, finished_at) values ('j-new', 'email.send', 'succeeded', 1, ?, ?, ?)",
        t(-day),
        t(-day),
        t(-day),
      ),
      ins(
        "insert into jobs (id, type, status, attempts, created_at, updated_at) values ('j-queued-old', 'email.send', 'queued', 0, ?, ?)",
        t(-40 * day),
        t(-40 * day),
      ),
      ins(
        "insert into email_outbox (id, job_id, recipient, subject, body, created_at) values ('o-old', 'j', 'a@example.com', 's', 'b', ?)",
        t(-31 * day),
      ),
      ins(
        "insert into email_outbox (id, job_id, recipient, subject, body, created_at) values ('o-new', 'j2', 'a@example.com', 's', 'b', ?)",
        t(-day),
      ),
    ]);
    await worker.scheduled(
      createScheduledController({ cron: "0 4 * * *" }),
      env as Bindings,
      createExecutionContext(),
    );
    const ids = async (table: string, col = "id") =>
      (await env.DB.prepare(`select ${col} as id from ${table}`).all<{ id: string }>()).results.map(
        (r) => r.id,
      );
    expect(await ids("refresh_tokens")).toContain("rt-live");
    expect(await ids("refresh_tokens")).not.toContain("rt-old");
    expect(await ids("api_keys")).toContain("k-recent");
    expect(await ids("api_keys")).not.toContain("k-old");
    expect(await ids("idempotency_keys", "key")).toEqual(expect.arrayContaining(["i-live"]));
    expect(await ids("idempotency_keys", "key")).not.toContain("i-old");
    expect(await ids("jobs")).toEqual(expect.arrayContaining(["j-new", "j-queued-old"]));
    expect(await ids("jobs")).not.toContain("j-old");
    expect(await ids("email_outbox")).toEqual(["o-new"]);
    const audit = await env.DB.prepare(
      "select summary from audit_logs where action = 'maintenance.cleanup'",
    ).first<{ summary: string }>();
    expect(JSON.parse(audit!.summary).deleted).toMatchObject({
      refresh_tokens: 1,
      api_keys: 1,
      idempotency_keys: 1,
      jobs: 1,
      email_outbox: 1,
    });
  });
});

describe("jobs committed but never sent", () => {
  it("answer 202 all the same, and the */5 sweep sends them once they are a minute old", async () => {
    const server = await createServer(op.access_token, {
      health_check_url: "https://probe.example.com/health",
    });
    const downQueue = {
      send: () => Promise.reject(new Error("queue unavailable")),
      sendBatch: () => Promise.reject(new Error("queue unavailable")),
    } as unknown as Queue;
    const res = await fetchWith({ JOBS: downQueue }, `/api/v2/servers/${server.id}/checks`, {
      method: "POST",
      headers: { authorization: `Bearer ${op.access_token}` },
    });
    const { job_id } = await expectBody(res, 202, QueuedSchema);
    const row = await env.DB.prepare("select status, payload from jobs where id = ?")
      .bind(job_id)
      .first<{ status: string; payload: string }>();
    expect(row).toEqual({ status: "queued", payload: JSON.stringify({ server_id: server.id }) });

    const sent: unknown[] = [];
    const capturing = {
      send: (body: unknown) => Promise.resolve(void sent.push(body)),
      sendBatch: (messages: Iterable<MessageSendRequest>) =>
        Promise.resolve(void sent.push(...[...messages].map((m) => m.body))),
    } as unknown as Queue;
    const sweep = () =>
      worker.scheduled(
        createScheduledController({ cron: "*/5 * * * *" }),
        { ...env, JOBS: capturing } as Bindings,
        createExecutionContext(),
      );
    await sweep();
    expect(sent.some((m) => (m as { job_id: string }).job_id === job_id)).toBe(false);

    await env.DB.prepare("update jobs set created_at = ? where id = ?")
      .bind(new Date(Date.now() - 2 * 60_000).toISOString(), job_id)
      .run();
    await sweep();
    const resent = sent.filter((m) => (m as { job_id: string }).job_id === job_id);
    expect(resent).toEqual([
      expect.objectContaining({ job_id, type: "server.probe", payload: { server_id: server.id } }),
    ]);
  });
});
