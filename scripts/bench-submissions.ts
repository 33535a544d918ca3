/**
 * Submissions benchmark: the production bundle under Miniflare, beside an empty
 * Worker in the same run (the method of docs/benchmarks.md, "How we measure").
 * Self-contained: it carries its own copy of the few harness helpers it needs.
 *
 *   npm run bench:submissions       # DURATION=5 ROUNDS=3 UPLOADS=8 EXPORT_ROWS=100000
 *
 * 1. JSON submissions/s (16 connections, interleaved with the empty Worker; the
 *    per-IP limit is switched off, Turnstile uses the local always-pass test secret).
 * 2. A 5 MiB file upload: sequential multipart POSTs, MiB/s, against a Worker that
 *    only reads and discards the same body (the floor for moving 5 MiB through
 *    Miniflare).
 * 3. An export of EXPORT_ROWS rows: the job's run time (started_at → finished_at),
 *    and the workerd process's peak resident memory during the export over its
 *    resident memory before (VmHWM, reset just before the export), next to the
 *    CSV's size: a job that held every row would grow by at least the CSV.
 *
 * Only 127.0.0.1 is loaded. Prints a RESULT line per measurement.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import autocannon from "autocannon";
import { convertV4MiniflareOptions, Miniflare, NoOpLog } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

process.env.WRANGLER_SEND_METRICS ??= "false";
const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const UPLOADS = Number(process.env.UPLOADS ?? 8);
const EXPORT_ROWS = Number(process.env.EXPORT_ROWS ?? 100_000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 2) => n.toFixed(d);
const MiB = 1024 * 1024;

// --- harness (same method as scripts/bench/harness.ts) -----------------------------

function buildBundle(): string {
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", "dist", "--env", ""], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return "dist/index.js";
}

async function startApp(bundle: string, vars: Record<string, string>) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml", "");
  const { modulesRules: _rules, ...bindingsAndFlags } = workerOptions as typeof workerOptions & {
    modulesRules?: unknown;
  };
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new NoOpLog(),
      handleStructuredLogs: () => {},
      workers: [
        {
          ...bindingsAndFlags,
          name: "edgepanel",
          modules: true,
          scriptPath: bundle,
          bindings: { ...(workerOptions.bindings ?? {}), ...vars },
        },
      ],
    } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  const db = await mf.getD1Database("DB");
  for (const file of readdirSync("migrations")
    .filter((f) => f.endsWith(".sql"))
    .sort())
    for (const stmt of readFileSync(`migrations/${file}`, "utf8").split("--> statement-breakpoint"))
      if (stmt.trim()) await db.prepare(stmt).run();
  return { url, mf, db };
}

/** A Worker with one script: the empty baseline, or the body sink. */
async function startScript(script: string) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new NoOpLog(),
      workers: [{ name: "baseline", modules: true, script, compatibilityDate: "2026-11-01" }],
    }),
  );
  return { url: (await mf.ready).toString().replace(/\/$/, ""), mf };
}

async function load(
  url: string,
  opts: { method?: "GET" | "POST"; body?: string; headers?: Record<string, string> },
) {
  if (!/^http:\/\/127\.0\.0\.1:\d+/.test(url)) throw new Error(`refusing ${url}`);
  const r = await autocannon({ url, connections: 16, duration: DURATION, ...opts });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx + r.errors,
  };
}

/** The workerd processes Miniflare started (children of this process). */
function workerdPids(): number[] {
  const out = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(process.pid)], {
    encoding: "utf8",
  });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm?.startsWith("workerd"))
    .map(([pid]) => Number(pid));
}

const status = (pid: number, field: "VmRSS" | "VmHWM") =>
  Number(
    new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1],
  ) * 1024;

// --- run ----------------------------------------------------------------------------

const bundle = buildBundle();
const before = new Set(workerdPids());
const app = await startApp(bundle, { RATE_LIMITING: "off" });
const appPids = workerdPids().filter((p) => !before.has(p));
const empty = await startScript('export default { fetch() { return new Response("ok"); } };');
const sink = await startScript(
  'export default { async fetch(r) { await r.arrayBuffer(); return new Response("ok", { status: 201 }); } };',
);
try {
  // 1. JSON submissions/s
  const json = JSON.stringify({
    name: "Bench Person",
    email: "bench@example.com",
    message:
      "A benchmark submission with a message of ordinary length, about a hundred characters.",
    turnstile_token: "bench-token",
  });
  const rps: Record<string, number[]> = { empty: [], submit: [] };
  const p50: number[] = [];
  let non2xx = 0;
  for (let round = 0; round < ROUNDS; round++) {
    rps.empty!.push((await load(empty.url, {})).rps);
    const r = await load(`${app.url}/api/v2/submissions`, {
      method: "POST",
      body: json,
      headers: { "content-type": "application/json" },
    });
    rps.submit!.push(r.rps);
    p50.push(r.p50);
    non2xx += r.non2xx;
  }
  const submitRps = median(rps.submit!);
  const emptyRps = median(rps.empty!);
  console.log(
    `RESULT json_submissions rps=${fmt(submitRps, 0)} empty_rps=${fmt(emptyRps, 0)} ratio=${fmt(submitRps / emptyRps)} p50_ms=${median(p50)} non2xx=${non2xx}`,
  );

  // 2. 5 MiB upload
  const file = new Uint8Array(5 * MiB);
  for (let i = 0; i < file.length; i++) file[i] = 0x61 + (i % 26); // text: an allowed type
  const form = () => {
    const f = new FormData();
    f.append("name", "Bench Person");
    f.append("email", "bench@example.com");
    f.append("message", "upload benchmark");
    f.append("turnstile_token", "bench-token");
    f.append("file", new File([file], "bench.txt", { type: "text/plain" }));
    return f;
  };
  const timeUploads = async (url: string) => {
    const ms: number[] = [];
    for (let i = 0; i < UPLOADS; i++) {
      const t0 = performance.now();
      const res = await fetch(url, { method: "POST", body: form() });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`upload answered ${res.status}`);
      ms.push(performance.now() - t0);
    }
    return median(ms);
  };
  const uploadMs: number[] = [];
  const sinkMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    sinkMs.push(await timeUploads(`${sink.url}/`));
    uploadMs.push(await timeUploads(`${app.url}/api/v2/submissions`));
  }
  const up = median(uploadMs);
  const floor = median(sinkMs);
  console.log(
    `RESULT upload_5mib median_ms=${fmt(up, 1)} mib_per_s=${fmt(5 / (up / 1000), 1)} sink_median_ms=${fmt(floor, 1)} sink_mib_per_s=${fmt(5 / (floor / 1000), 1)} ratio=${fmt(floor / up)}`,
  );

  // 3. Export of EXPORT_ROWS rows
  // Seeded inside D1 in chunks of 10,000 (one statement each, through the FTS
  // trigger like any insert): UUIDv7-shaped, time-ordered ids, as the API mints them.
  const start = Date.now() - EXPORT_ROWS;
  for (let from = 0; from < EXPORT_ROWS; from += 10_000) {
    const to = Math.min(EXPORT_ROWS, from + 10_000) - 1;
    await app.db
      .prepare(
        `insert into submissions (id, name, email, message, created_at)
         with recursive n(i) as (select ?1 union all select i + 1 from n where i < ?2)
         select printf('%08x-%04x-7000-8000-%012x', (?3 + i) / 65536, (?3 + i) % 65536, i),
                'Person ' || i, 'p' || i || '@example.com',
                'Message number ' || i || ': ' || 'lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum',
                strftime('%Y-%m-%dT%H:%M:%fZ', (?3 + i) / 1000.0, 'unixepoch')
         from n`,
      )
      .bind(from, to, start)
      .run();
  }
  const session = (await (
    await fetch(`${app.url}/api/v2/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: "admin@bench.example",
        password: "benchmark password 123",
        name: "Admin",
      }),
    })
  ).json()) as { access_token: string };
  const auth = { authorization: `Bearer ${session.access_token}` };
  // Peak memory from here on: VmHWM reset (clear_refs 5), resident memory noted.
  for (const pid of appPids) writeFileSync(`/proc/${pid}/clear_refs`, "5");
  const rssBefore = appPids.reduce((a, pid) => a + status(pid, "VmRSS"), 0);
  const queued = await fetch(`${app.url}/api/v2/submissions/exports`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ format: "xlsx_csv" }),
  });
  const { job_id } = (await queued.json()) as { job_id: string };
  let job: {
    status: string;
    started_at: string;
    finished_at: string;
    result: { rows: number; bytes: number };
  };
  for (;;) {
    job = (await (
      await fetch(`${app.url}/api/v2/jobs/${job_id}`, { headers: auth })
    ).json()) as typeof job;
    if (job.status === "succeeded" || job.status === "dead" || job.status === "failed") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (job.status !== "succeeded") throw new Error(`export ${job.status}`);
  const peak = appPids.reduce((a, pid) => a + status(pid, "VmHWM"), 0);
  const seconds = (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
  console.log(
    `RESULT export rows=${job.result.rows} csv_mib=${fmt(job.result.bytes / MiB, 1)} job_s=${fmt(seconds, 1)} rows_per_s=${fmt(job.result.rows / seconds, 0)} workerd_rss_before_mib=${fmt(rssBefore / MiB, 0)} workerd_peak_mib=${fmt(peak / MiB, 0)} peak_growth_mib=${fmt((peak - rssBefore) / MiB, 0)}`,
  );
} finally {
  await app.mf.dispose();
  await empty.mf.dispose();
  await sink.mf.dispose();
}
