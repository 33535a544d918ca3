import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDatabase } from "../../../src/db/client.ts";
import type { Bindings } from "../../../src/env.ts";
import worker from "../../../src/index.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { deleteOldExports } from "../../../src/services/submissions/export.ts";
import { deleteExpired } from "../../../src/services/submissions/store.ts";

const DAY = 86_400_000;

async function seed(ageDays: number, withFile: boolean) {
  const at = Date.now() - ageDays * DAY;
  const id = uuidv7(at);
  const key = withFile ? `submissions/${id}/${crypto.randomUUID()}` : null;
  if (key) await env.FILES.put(key, "%PDF-1.7 old file");
  await env.DB.prepare(
    "insert into submissions (id, name, email, message, file_key, created_at) values (?, 'Old', 'old@example.com', 'retention test', ?, ?)",
  )
    .bind(id, key, nowIso(at))
    .run();
  return { id, key };
}

const exists = async (id: string) =>
  (await env.DB.prepare("select 1 from submissions where id = ?").bind(id).first()) !== null;

describe("submission retention (nightly clean-up)", () => {
  it("deletes rows and files older than SUBMISSION_RETENTION_DAYS, keeps the rest, audits the counts", async () => {
    const old = [await seed(400, true), await seed(366, false), await seed(370, true)];
    const recent = [await seed(10, true), await seed(364, false)];
    await worker.scheduled(
      createScheduledController({ cron: "0 4 * * *", scheduledTime: Date.now() }),
      env as Bindings,
      createExecutionContext(),
    );
    for (const s of old) {
      expect(await exists(s.id)).toBe(false);
      if (s.key) expect(await env.FILES.head(s.key)).toBeNull();
    }
    for (const s of recent) {
      expect(await exists(s.id)).toBe(true);
      if (s.key) expect(await env.FILES.head(s.key)).not.toBeNull();
    }
    // The search index forgets them too (the delete trigger).
    const indexed = await env.DB.prepare(
      "select count(*) as n from submissions_fts where submissions_fts match 'retention'",
    ).first<{ n: number }>();
    expect(indexed!.n).toBe(2);
    const audit = await env.DB.prepare(
      "select summary from audit_logs where action = 'maintenance.cleanup' order by seq desc limit 1",
    ).first<{ summary: string }>();
    expect(JSON.parse(audit!.summary).deleted).toMatchObject({
      submissions: 3,
      submission_files: 2,
    });
  });

  it("honours a shorter SUBMISSION_RETENTION_DAYS", async () => {
    const s = await seed(31, true);
    await worker.scheduled(
      createScheduledController({ cron: "0 4 * * *", scheduledTime: Date.now() }),
      { ...env, SUBMISSION_RETENTION_DAYS: "30" } as Bindings,
      createExecutionContext(),
    );
    expect(await exists(s.id)).toBe(false);
    expect(await env.FILES.head(s.key!)).toBeNull();
  });

  it("works in bounded batches: a run deletes at most batch × rounds rows, the next one goes on", async () => {
    for (let i = 0; i < 7; i++) await seed(500 + i, i % 2 === 0);
    const db = getDatabase(env);
    const cutoff = nowIso(Date.now() - 400 * DAY);
    const first = await deleteExpired(db, env.FILES, cutoff, { batch: 2, maxRounds: 2 });
    expect(first.rows).toBe(4);
    const second = await deleteExpired(db, env.FILES, cutoff, { batch: 2, maxRounds: 2 });
    expect(second.rows).toBe(3);
    expect(first.files + second.files).toBe(4);
    expect((await deleteExpired(db, env.FILES, cutoff)).rows).toBe(0);
  });

  it("deletes export files older than the cutoff, not newer ones", async () => {
    await env.FILES.put("exports/old-job.csv", "id\r\n");
    await env.FILES.put("submissions/keep/me", "%PDF-1.7");
    expect(await deleteOldExports(env.FILES, new Date(Date.now() - 60_000))).toBe(0);
    expect(await env.FILES.head("exports/old-job.csv")).not.toBeNull();
    expect(await deleteOldExports(env.FILES, new Date(Date.now() + 60_000))).toBe(1);
    expect(await env.FILES.head("exports/old-job.csv")).toBeNull();
    expect(await env.FILES.head("submissions/keep/me")).not.toBeNull();
  });
});
