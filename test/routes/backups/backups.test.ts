import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { nowIso } from "../../../src/lib/ids.ts";
import {
  BackupListSchema,
  BackupSchema,
  DrillListSchema,
  DrillSchema,
} from "../../../src/routes/backups/schemas.ts";
import { ReadySchema } from "../../../src/routes/health/ready.ts";
import { backupPrefix } from "../../../src/services/backups/manifest.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../../helpers.ts";
import { deliver, job } from "../../queues/helpers.ts";
import { createServer } from "../servers/fixtures.ts";

// Each test runs real backup, verify and drill jobs: seconds each on a loaded machine.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let admin: Session;
let operator: Session;
let viewer: Session;

beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
  viewer = await seedUser({ role: "viewer" });
  for (let i = 0; i < 5; i++) await createServer(operator.access_token);
});

/** Delivers the queued job with this id (as the queue would) and returns its row. */
async function runJob(id: string) {
  const row = await job(id);
  const { result } = await deliver([
    {
      job_id: id,
      type: row!.type,
      payload: JSON.parse(String(row!.payload)),
      enqueued_at: nowIso(),
    },
  ]);
  const after = (await job(id))!;
  expect(result.explicitAcks, `job: ${JSON.stringify(after)}`).toHaveLength(1);
  return after;
}

/** Runs every queued job of `type` until none is left (continuations included). */
async function drain(type: string) {
  for (let i = 0; i < 20; i++) {
    const queued = await env.DB.prepare(
      "select id from jobs where type = ? and status = 'queued' order by created_at limit 1",
    )
      .bind(type)
      .first<{ id: string }>();
    if (!queued) return;
    await runJob(queued.id);
  }
}

async function backupViaApi() {
  const queued = await expectStatus<{ job_id: string; backup_id: string }>(
    await api("/api/v2/backups", { method: "POST", token: admin.access_token }),
    202,
  );
  await drain("backup.run");
  await drain("backup.verify");
  return queued.backup_id;
}

describe("/api/v2/backups", () => {
  it("is for admins only: operators and viewers get 403, anonymous 401", async () => {
    for (const who of [operator, viewer]) {
      await expectProblem(await api("/api/v2/backups", { token: who.access_token }), 403);
      await expectProblem(
        await api("/api/v2/backups", { method: "POST", token: who.access_token }),
        403,
      );
      await expectProblem(await api("/api/v2/backups/drills", { token: who.access_token }), 403);
    }
    await expectProblem(await api("/api/v2/backups"), 401);
  });

  it("POST → 202; the job backs up, verifies, emits backup.completed and audits", async () => {
    const res = await api("/api/v2/backups", { method: "POST", token: admin.access_token });
    const queued = await expectStatus<{ job_id: string; backup_id: string; status: string }>(
      res,
      202,
    );
    expect(res.headers.get("location")).toBe(`/api/v2/jobs/${queued.job_id}`);
    // One at a time.
    await expectProblem(
      await api("/api/v2/backups", { method: "POST", token: admin.access_token }),
      409,
      "conflict",
    );
    await drain("backup.run");
    const done = await expectBody(
      await api(`/api/v2/backups/${queued.backup_id}`, { token: admin.access_token }),
      200,
      BackupSchema,
    );
    expect(done).toMatchObject({ status: "succeeded", trigger: "manual", error: null });
    expect(done.row_counts?.servers).toBe(5);
    expect(done.size_bytes).toBeGreaterThan(0);
    expect(done.duration_seconds).toBeGreaterThanOrEqual(0);
    expect(done.verification.status).toBeNull();
    await drain("backup.verify");
    const verified = await expectBody(
      await api(`/api/v2/backups/${queued.backup_id}`, { token: admin.access_token }),
      200,
      BackupSchema,
    );
    expect(verified.verification).toMatchObject({ status: "passed", error: null });

    const event = await env.DB.prepare(
      "select body from webhook_events where type = 'backup.completed' and body like ?",
    )
      .bind(`%${queued.backup_id}%`)
      .first<{ body: string }>();
    expect(JSON.parse(event!.body).data).toMatchObject({
      id: queued.backup_id,
      status: "succeeded",
    });
    const actions = await env.DB.prepare(
      "select action from audit_logs where resource_id = ? order by seq",
    )
      .bind(queued.backup_id)
      .all<{ action: string }>();
    expect(actions.results.map((a) => a.action)).toEqual([
      "backup.requested",
      "backup.completed",
      "backup.verified",
    ]);
  });

  it("lists newest first with a cursor", async () => {
    const second = await backupViaApi();
    const page = await expectBody(
      await api("/api/v2/backups?limit=1", { token: admin.access_token }),
      200,
      BackupListSchema,
    );
    expect(page.data[0]!.id).toBe(second);
    expect(page.next_cursor).not.toBeNull();
    const next = await expectBody(
      await api(`/api/v2/backups?limit=1&cursor=${page.next_cursor}`, {
        token: admin.access_token,
      }),
      200,
      BackupListSchema,
    );
    expect(next.data[0]!.id).not.toBe(second);
    await expectProblem(
      await api("/api/v2/backups?cursor=garbage!", { token: admin.access_token }),
      400,
    );
  });

  it("verify on demand records a failure when an object was altered", async () => {
    const id = await backupViaApi();
    const key = `${backupPrefix(id)}servers.ndjson.gz`;
    const bytes = new Uint8Array(await (await env.BACKUPS.get(key))!.arrayBuffer());
    bytes[bytes.length - 1]! ^= 0xff;
    await env.BACKUPS.put(key, bytes);
    const queued = await expectStatus<{ job_id: string }>(
      await api(`/api/v2/backups/${id}/verify`, { method: "POST", token: admin.access_token }),
      202,
    );
    const row = await runJob(queued.job_id);
    expect(row.status).toBe("succeeded");
    const b = await expectBody(
      await api(`/api/v2/backups/${id}`, { token: admin.access_token }),
      200,
      BackupSchema,
    );
    expect(b.verification.status).toBe("failed");
    expect(b.verification.error).toContain("servers.ndjson.gz");
  });

  it("404 for an unknown id, 422 for a malformed one", async () => {
    const missing = "01890000-0000-7000-8000-000000000000";
    await expectProblem(
      await api(`/api/v2/backups/${missing}`, { token: admin.access_token }),
      404,
    );
    await expectProblem(
      await api(`/api/v2/backups/${missing}/verify`, { method: "POST", token: admin.access_token }),
      404,
    );
    await expectProblem(
      await api(`/api/v2/backups/${missing}`, { method: "DELETE", token: admin.access_token }),
      404,
    );
    await expectProblem(
      await api("/api/v2/backups/not-a-uuid", { token: admin.access_token }),
      422,
    );
  });

  it("DELETE removes every object and the record; operators cannot", async () => {
    const id = await backupViaApi();
    await expectProblem(
      await api(`/api/v2/backups/${id}`, { method: "DELETE", token: operator.access_token }),
      403,
    );
    expect((await env.BACKUPS.list({ prefix: backupPrefix(id) })).objects.length).toBeGreaterThan(
      1,
    );
    await expectStatus(
      await api(`/api/v2/backups/${id}`, { method: "DELETE", token: admin.access_token }),
      204,
    );
    expect((await env.BACKUPS.list({ prefix: backupPrefix(id) })).objects).toHaveLength(0);
    await expectProblem(await api(`/api/v2/backups/${id}`, { token: admin.access_token }), 404);
  });
});

describe("restore drills", () => {
  it("restores the newest backup into RESTORE_DRILL and records RTO, RPO and row counts", async () => {
    const id = await backupViaApi();
    const queued = await expectStatus<{ job_id: string; drill_id: string }>(
      await api("/api/v2/backups/drills", { method: "POST", token: admin.access_token }),
      202,
    );
    await runJob(queued.job_id);
    const drill = await expectBody(
      await api(`/api/v2/backups/drills/${queued.drill_id}`, { token: admin.access_token }),
      200,
      DrillSchema,
    );
    expect(drill).toMatchObject({ status: "passed", backup_id: id, error: null });
    expect(drill.rto_seconds).toBeGreaterThan(0);
    expect(drill.rpo_seconds).toBeGreaterThanOrEqual(0);
    expect(drill.row_counts?.servers).toBe(5);
    const restored = await env.RESTORE_DRILL.prepare("select count(*) as n from servers").first<{
      n: number;
    }>();
    expect(restored!.n).toBe(5);
    const list = await expectBody(
      await api("/api/v2/backups/drills", { token: admin.access_token }),
      200,
      DrillListSchema,
    );
    expect(list.data[0]!.id).toBe(queued.drill_id);

    const ready = await expectBody(await api("/health/ready"), 200, ReadySchema);
    expect(ready.checks.backups).toMatchObject({ status: "ok", last_drill: "passed" });
  });

  it("a failed drill (the newest backup is damaged) turns readiness degraded", async () => {
    const id = await backupViaApi();
    await env.BACKUPS.delete(`${backupPrefix(id)}users.ndjson.gz`);
    const queued = await expectStatus<{ job_id: string; drill_id: string }>(
      await api("/api/v2/backups/drills", { method: "POST", token: admin.access_token }),
      202,
    );
    await runJob(queued.job_id);
    const drill = await expectBody(
      await api(`/api/v2/backups/drills/${queued.drill_id}`, { token: admin.access_token }),
      200,
      DrillSchema,
    );
    expect(drill.status).toBe("failed");
    expect(drill.error).toContain("users.ndjson.gz: missing");
    const ready = await expectBody(await api("/health/ready"), 200, ReadySchema);
    expect(ready.status).toBe("degraded");
    expect(ready.checks.backups).toMatchObject({
      status: "degraded",
      reasons: ["the last restore drill failed"],
    });
  });

  it("readiness is degraded when the newest verified backup is older than 26 hours", async () => {
    await env.DB.prepare("update backups set started_at = ? where verify_status = 'passed'")
      .bind(nowIso(Date.now() - 27 * 3_600_000))
      .run();
    await env.DB.prepare("delete from backup_drills").run();
    const ready = await expectBody(await api("/health/ready"), 200, ReadySchema);
    expect(ready.checks.backups).toMatchObject({
      status: "degraded",
      reasons: ["the newest verified backup is older than 26 h"],
    });
  });
});
