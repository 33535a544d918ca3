/**
 * A restore drill against a running panel (`npm run dev` in another terminal):
 *
 *   npm run backup:drill                       # http://localhost:8787, the seeded admin
 *   npm run backup:drill -- --url http://localhost:8899 --no-backup
 *
 * Signs in as the admin (ADMIN_EMAIL / SEED_ADMIN_PASSWORD, the seed's by default),
 * takes a fresh backup (unless --no-backup) and waits until it is verified, then runs
 * a drill — the Worker restores the newest backup into its RESTORE_DRILL database and
 * checks every checksum and row count — and prints the measured RTO, the RPO and the
 * restored row counts. Exits 1 when the drill fails.
 */
import { parseArgs } from "node:util";
import { DEVELOPMENT_DEFAULTS } from "../src/env.ts";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://localhost:8787" },
    "no-backup": { type: "boolean", default: false },
  },
});
const base = values.url!.replace(/\/$/, "");

async function call<T>(path: string, init: RequestInit & { token?: string } = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  if (init.body) headers.set("content-type", "application/json");
  const res = await fetch(`${base}${path}`, { ...init, headers });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Polls a job until it is finished; returns its row. */
async function waitForJob(token: string, jobId: string) {
  for (let i = 0; i < 600; i++) {
    const job = await call<{ status: string; error: string | null }>(`/api/v2/jobs/${jobId}`, {
      token,
    });
    if (job.status === "succeeded") return job;
    if (job.status === "dead" || (job.status === "failed" && job.error))
      throw new Error(`job ${jobId} ${job.status}: ${job.error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`job ${jobId} did not finish in 5 minutes`);
}

async function main(): Promise<number> {
  const email = process.env.ADMIN_EMAIL ?? "admin@example.com";
  const password = process.env.SEED_ADMIN_PASSWORD ?? DEVELOPMENT_DEFAULTS.SEED_ADMIN_PASSWORD;
  const { access_token: token } = await call<{ access_token: string }>("/api/v2/auth/login", {
    method: "POST",
    body: JSON.stringify({ email, password }),
  });
  if (!values["no-backup"]) {
    const queued = await call<{ backup_id: string }>("/api/v2/backups", { method: "POST", token });
    process.stdout.write(`backup ${queued.backup_id}: running`);
    for (;;) {
      const b = await call<{
        status: string;
        error: string | null;
        verification: { status: string | null };
      }>(`/api/v2/backups/${queued.backup_id}`, { token });
      if (b.status === "failed") throw new Error(`backup failed: ${b.error}`);
      if (b.verification.status) {
        console.log(`, ${b.status}, verification ${b.verification.status}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const drill = await call<{ job_id: string; drill_id: string }>("/api/v2/backups/drills", {
    method: "POST",
    token,
  });
  await waitForJob(token, drill.job_id);
  const d = await call<{
    status: string;
    backup_id: string | null;
    rto_seconds: number | null;
    rpo_seconds: number | null;
    row_counts: Record<string, number> | null;
    error: string | null;
  }>(`/api/v2/backups/drills/${drill.drill_id}`, { token });
  console.log(`drill ${drill.drill_id}: ${d.status} (backup ${d.backup_id})`);
  if (d.status !== "passed") {
    console.error(`  ${d.error}`);
    return 1;
  }
  console.log(`  RTO ${d.rto_seconds?.toFixed(2)} s (restore into RESTORE_DRILL, verified)`);
  console.log(`  RPO ${d.rpo_seconds} s (age of the newest verified backup)`);
  for (const [table, rows] of Object.entries(d.row_counts ?? {}))
    console.log(`  ${table.padEnd(24)} ${String(rows).padStart(8)} rows`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  console.error(`drill failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
