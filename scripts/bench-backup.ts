/**
 * Backup and restore benchmark on the production bundle under Miniflare
 * (scripts/bench/harness.ts; results in docs/benchmarks.md, "Backups").
 *
 *   npm run bench:backup                  # SERVERS=100000 AUDIT_ROWS=1000000
 *   SERVERS=100000 AUDIT_ROWS=200000 npm run bench:backup
 *
 * 1. Seeds SERVERS servers and AUDIT_ROWS audit entries (sealed-looking rows, so the
 *    sequencer leaves them alone) straight into the local D1.
 * 2. Backup through the API (POST /api/v2/backups), with the real queue: the job and
 *    its continuation steps, then the automatic verification. Reports the job's wall
 *    time, plain and stored MB/s, the number of steps, and the workerd process's peak
 *    resident memory over its resident memory before (VmHWM reset just before).
 * 3. Drill through the API: the Worker restores the backup into RESTORE_DRILL; its
 *    measured RTO.
 * 4. `backup:restore`'s code in this Node process into a libSQL file: seconds, rows/s
 *    and this process's peak memory.
 *
 * Prints a RESULT line per measurement.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { r2Source } from "../src/services/backups/objects.ts";
import { libsqlTarget, restoreLocal } from "./backup-restore.ts";
import { buildBundle, fmt, startApp } from "./bench/harness.ts";

const SERVERS = Number(process.env.SERVERS ?? 100_000);
const AUDIT_ROWS = Number(process.env.AUDIT_ROWS ?? 1_000_000);
const MB = 1_000_000;
const MiB = 1024 * 1024;

const status = (pid: number, field: "VmRSS" | "VmHWM") =>
  Number(
    new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1],
  ) * 1024;

// One key for the Worker and for the restore in this process.
const ENCRYPTION_KEY = randomBytes(32).toString("base64");
process.env.ENCRYPTION_KEY = ENCRYPTION_KEY;
const bundle = buildBundle();
const app = await startApp(bundle, { RATE_LIMITING: "off", LOG_LEVEL: "error", ENCRYPTION_KEY });
const backupsBucket = async () => (await app.mf.getR2Bucket("BACKUPS")) as unknown as R2Bucket;
const db = await app.mf.getD1Database("DB");
const call = async <T>(path: string, token?: string, method = "GET", body?: unknown) => {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

try {
  const session = await call<{ access_token: string; user: { id: string } }>(
    "/api/v2/auth/register",
    undefined,
    "POST",
    { email: "admin@bench.example", password: "benchmark password 123", name: "Admin" },
  );
  const token = session.access_token;
  const t0 = performance.now();
  const start = Date.now() - 10 * 86_400_000;
  for (let from = 0; from < SERVERS; from += 10_000) {
    await db
      .prepare(
        `insert into servers (id, owner_id, name, host, port, environment, tags, status, version, created_at, updated_at)
         with recursive n(i) as (select ?1 union all select i + 1 from n where i < ?2)
         select printf('%08x-%04x-7000-8000-%012x', (?3 + i) / 65536, (?3 + i) % 65536, i), ?4,
                'server-' || i, 'host-' || i || '.example.com', 443, 'production', '["eu-west","web"]', 'up', 1,
                strftime('%Y-%m-%dT%H:%M:%fZ', (?3 + i) / 1000.0, 'unixepoch'),
                strftime('%Y-%m-%dT%H:%M:%fZ', (?3 + i) / 1000.0, 'unixepoch')
         from n`,
      )
      .bind(from, Math.min(SERVERS, from + 10_000) - 1, start, session.user.id)
      .run();
  }
  for (let from = 0; from < AUDIT_ROWS; from += 10_000) {
    await db
      .prepare(
        `insert into audit_logs (id, created_at, actor_type, actor_id, action, resource_type, resource_id, summary, ip, user_agent, request_id, prev_hash, hash)
         with recursive n(i) as (select ?1 union all select i + 1 from n where i < ?2)
         select printf('%08x-%04x-7000-9000-%012x', (?3 + i) / 65536, (?3 + i) % 65536, i),
                strftime('%Y-%m-%dT%H:%M:%fZ', (?3 + i) / 1000.0, 'unixepoch'), 'user', ?4,
                'server.updated', 'server', printf('%012x', i), '{"before":{"name":"a"},"after":{"name":"b"}}',
                '203.0.113.' || (i % 250), 'curl/8.5.0', printf('req-%012x', i),
                lower(hex(randomblob(32))), lower(hex(randomblob(32)))
         from n`,
      )
      .bind(from, Math.min(AUDIT_ROWS, from + 10_000) - 1, start, session.user.id)
      .run();
  }
  console.log(
    `seeded ${SERVERS} servers and ${AUDIT_ROWS} audit rows in ${fmt((performance.now() - t0) / 1000, 1)} s`,
  );

  // --- backup ---------------------------------------------------------------------
  writeFileSync(`/proc/${app.pid}/clear_refs`, "5");
  const rssBefore = status(app.pid, "VmRSS");
  const queued = await call<{ backup_id: string }>("/api/v2/backups", token, "POST");
  type Backup = {
    status: string;
    duration_seconds: number | null;
    size_bytes: number | null;
    rows: number | null;
    error: string | null;
    verification: { status: string | null; verified_at: string | null };
    finished_at: string | null;
  };
  let b: Backup;
  for (;;) {
    b = await call<Backup>(`/api/v2/backups/${queued.backup_id}`, token);
    if (b.status === "failed") throw new Error(`backup failed: ${b.error}`);
    if (b.verification.status) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const peak = status(app.pid, "VmHWM");
  const manifest = (await (
    await backupsBucket()
  ).get(`backups/${queued.backup_id}/manifest.json`))!;
  const m = JSON.parse(await manifest.text()) as {
    files: { plain_bytes: number; stored_bytes: number }[];
  };
  const plain = m.files.reduce((n, f) => n + f.plain_bytes, 0);
  const stored = m.files.reduce((n, f) => n + f.stored_bytes, 0);
  const steps = Number(
    (
      await db
        .prepare("select count(*) as n from jobs where type = 'backup.run' and id like ?")
        .bind(`backup:${queued.backup_id}:%`)
        .first<{ n: number }>()
    )?.n,
  );
  const verify = await db
    .prepare("select started_at, finished_at from jobs where type = 'backup.verify'")
    .first<{ started_at: string; finished_at: string }>();
  const verifyS = (Date.parse(verify!.finished_at) - Date.parse(verify!.started_at)) / 1000;
  const seconds = b.duration_seconds!;
  console.log(
    `RESULT backup rows=${b.rows} plain_mb=${fmt(plain / MB, 1)} stored_mb=${fmt(stored / MB, 1)} ratio=${fmt(plain / stored, 1)} job_s=${fmt(seconds, 1)} plain_mb_per_s=${fmt(plain / MB / seconds, 1)} steps=${steps} verify_s=${fmt(verifyS, 1)} workerd_rss_before_mib=${fmt(rssBefore / MiB, 0)} workerd_peak_mib=${fmt(peak / MiB, 0)} peak_growth_mib=${fmt((peak - rssBefore) / MiB, 0)}`,
  );

  // --- drill (in the Worker, into RESTORE_DRILL) ----------------------------------------
  writeFileSync(`/proc/${app.pid}/clear_refs`, "5");
  const drillRssBefore = status(app.pid, "VmRSS");
  const drill = await call<{ drill_id: string }>("/api/v2/backups/drills", token, "POST");
  type Drill = { status: string; rto_seconds: number | null; error: string | null };
  let d: Drill;
  for (;;) {
    d = await call<Drill>(`/api/v2/backups/drills/${drill.drill_id}`, token);
    if (d.status !== "running") break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const drillPeak = status(app.pid, "VmHWM");
  console.log(
    `RESULT drill status=${d.status} rto_s=${fmt(d.rto_seconds ?? Number.NaN, 1)} rows_per_s=${fmt((b.rows ?? 0) / (d.rto_seconds ?? 1), 0)} workerd_peak_growth_mib=${fmt((drillPeak - drillRssBefore) / MiB, 0)}${d.error ? ` error=${d.error}` : ""}`,
  );

  // --- restore in Node into libSQL ------------------------------------------------------
  const file = join(tmpdir(), `bench-restore-${process.pid}.db`);
  const { client, target } = libsqlTarget(`file:${file}`);
  const rssNode = process.memoryUsage().rss;
  const run = await restoreLocal(r2Source(await backupsBucket()), queued.backup_id, target, {
    log: () => {},
  });
  client.close();
  rmSync(file, { force: true });
  console.log(
    `RESULT restore_libsql rto_s=${fmt(run.seconds, 1)} verify_s=${fmt(run.outcome.verifyMs / 1000, 1)} write_and_check_s=${fmt(run.outcome.writeMs / 1000, 1)} rows_per_s=${fmt((b.rows ?? 0) / run.seconds, 0)} node_rss_before_mib=${fmt(rssNode / MiB, 0)} node_peak_mib=${fmt(process.resourceUsage().maxRSS / 1024, 0)}`,
  );
} finally {
  await app.dispose();
}
