import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { listArchivesRoute } from "../../../src/routes/audit-logs/archives.ts";
import { VerifySchema } from "../../../src/routes/audit-logs/schemas.ts";
import { archiveManifestKey } from "../../../src/services/audit/archive.ts";
import {
  api,
  expectBody,
  expectProblem,
  type Session,
  sealAudit,
  seedUser,
} from "../../helpers.ts";
import { deliver, job } from "../../queues/helpers.ts";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const ArchiveList = listArchivesRoute.responses[200].content["application/json"].schema;
const DAY = 86_400_000;
let admin: Session;
let operator: Session;

/** Audit entries created `daysAgo` days back, one per (days, index), inserted in seq order. */
async function oldEntries(daysAgo: number[]) {
  await env.DB.batch(
    daysAgo.map((d, i) =>
      env.DB.prepare(
        "insert into audit_logs (id, created_at, actor_type, action, resource_type, summary) values (?, ?, 'system', 'test.old', 'test', ?)",
      ).bind(uuidv7(), nowIso(Date.now() - d * DAY + i), JSON.stringify({ i, days: d })),
    ),
  );
}

async function archive() {
  const id = uuidv7();
  const now = nowIso();
  await env.DB.prepare(
    "insert into jobs (id, type, status, attempts, payload, created_at, updated_at) values (?, 'audit.archive', 'queued', 0, '{\"round\":0}', ?, ?)",
  )
    .bind(id, now, now)
    .run();
  const { result } = await deliver([
    { job_id: id, type: "audit.archive", payload: { round: 0 }, enqueued_at: now },
  ]);
  const row = await job(id);
  expect(result.explicitAcks, JSON.stringify(row)).toHaveLength(1);
  return JSON.parse(String(row!.result)) as { archives: string[]; deleted: number };
}

beforeAll(async () => {
  // Entries from ~5 months back to today, all older ones first (seq order is commit order).
  const days = [
    ...Array.from({ length: 40 }, (_, i) => 150 - i), // 150..111 days
    ...Array.from({ length: 40 }, (_, i) => 110 - i * 0.5), // 110..90.5 days
    ...Array.from({ length: 15 }, (_, i) => 89 - i), // younger than 90 days
  ];
  await oldEntries(days);
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
  await sealAudit();
});

describe("audit archiving", () => {
  it("moves exactly the entries older than 90 days to R2, and the chain still verifies", async () => {
    const cutoff = nowIso(Date.now() - 90 * DAY);
    const count = async (where: string) =>
      (await env.DB.prepare(`select count(*) as n from audit_logs where ${where}`)
        .bind(cutoff)
        .first<{ n: number }>())!.n;
    const old = await count("created_at < ?");
    const young = await count("created_at >= ?");
    expect(old).toBe(80);

    const outcome = await archive();
    expect(outcome.deleted).toBe(80);
    // One object per calendar month the old entries fall in.
    const months = new Set(
      Array.from({ length: 80 }, (_, i) => (i < 40 ? 150 - i : 110 - (i - 40) * 0.5)).map((d) =>
        nowIso(Date.now() - d * DAY).slice(0, 7),
      ),
    );
    expect(outcome.archives.length).toBeGreaterThanOrEqual(months.size);
    for (const key of outcome.archives) {
      expect(key).toMatch(/^audit\/\d{4}\/\d{2}\/\d+-\d+\.ndjson\.gz$/);
      expect(await env.BACKUPS.head(key)).not.toBeNull();
      const manifest = await (await env.BACKUPS.get(archiveManifestKey(key)))!.json<{
        first_hash: string;
        last_hash: string;
      }>();
      expect(manifest.first_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await count("created_at < ?")).toBe(0);
    expect(await count("created_at >= ?")).toBeGreaterThanOrEqual(young);

    const list = await expectBody(
      await api("/api/v2/audit-logs/archives", { token: admin.access_token }),
      200,
      ArchiveList,
    );
    expect(list.data.reduce((n, a) => n + a.rows, 0)).toBe(80);
    // Segments link: each one starts where the previous one ended.
    const chron = [...list.data].reverse();
    for (let i = 1; i < chron.length; i++) {
      expect(chron[i]!.prev_hash).toBe(chron[i - 1]!.last_hash);
      expect(chron[i]!.from_seq).toBe(chron[i - 1]!.to_seq + 1);
    }

    await sealAudit();
    const report = await expectBody(
      await api("/api/v2/audit-logs/verify", { token: admin.access_token }),
      200,
      VerifySchema,
    );
    expect(report.valid, JSON.stringify(report)).toBe(true);
    expect(report.anchor).toMatchObject({
      to_seq: list.data[0]!.to_seq,
      last_hash: list.data[0]!.last_hash,
    });
    expect(report.first_seq).toBe(list.data[0]!.to_seq + 1);

    // Nothing is old enough any more: a second run archives nothing.
    expect((await archive()).archives).toEqual([]);
  });

  it("the verify endpoint notices live entries removed right after the archive", async () => {
    const first = await env.DB.prepare("select min(seq) as s from audit_logs").first<{
      s: number;
    }>();
    await env.DB.prepare("delete from audit_logs where seq = ?").bind(first!.s).run();
    const report = await expectBody(
      await api("/api/v2/audit-logs/verify", { token: admin.access_token }),
      200,
      VerifySchema,
    );
    expect(report.valid).toBe(false);
    expect(report.broken?.reason).toMatch(/prev_hash_mismatch|gap/);
  });

  it("archives are for admins only", async () => {
    await expectProblem(
      await api("/api/v2/audit-logs/archives", { token: operator.access_token }),
      403,
    );
  });
});
