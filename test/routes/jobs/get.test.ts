import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { JobSchema } from "../../../src/routes/jobs/get.ts";
import { api, expectStatus, type Session, seedUser } from "../../helpers.ts";

let admin: Session;
let op: Session;
beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  op = await seedUser({ role: "operator" });
});

const RAW = "TypeError: connect ECONNREFUSED 10.0.0.7:8443 (D1_ERROR: select * from servers)";

async function failedJob(ownerId: string) {
  const id = uuidv7();
  const now = nowIso();
  await env.DB.prepare(
    "insert into jobs (id, type, status, owner_id, attempts, last_error, created_at, updated_at) values (?, 'server.probe', 'failed', ?, 2, ?, ?, ?)",
  )
    .bind(id, ownerId, RAW, now, now)
    .run();
  return id;
}

describe("GET /jobs/{id}: error text", () => {
  it("the job's owner sees that the attempt failed, not the internal error text", async () => {
    const id = await failedJob(op.user.id);
    const text = await (await api(`/api/v2/jobs/${id}`, { token: op.access_token })).text();
    const job = JobSchema.parse(JSON.parse(text));
    expect(job).toMatchObject({ status: "failed", attempts: 2 });
    expect(job.error).toMatch(/failed/i);
    expect(text).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|D1_ERROR|select/);
  });

  it("admins see the recorded error", async () => {
    const id = await failedJob(op.user.id);
    const job = JobSchema.parse(
      await expectStatus(await api(`/api/v2/jobs/${id}`, { token: admin.access_token }), 200),
    );
    expect(job.error).toBe(RAW);
  });
});
