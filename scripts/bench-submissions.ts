/**
 * Submissions benchmark: the production bundle under Miniflare, beside an empty
 * Worker in the same run, both on direct sockets (scripts/bench/harness.ts; the
 * method of docs/benchmarks.md, "How we measure").
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
import { readFileSync, writeFileSync } from "node:fs";
import {
  buildBundle,
  EMPTY_WORKER,
  fmt,
  type LoadResult,
  load,
  median,
  startApp,
  startScripts,
} from "./bench/harness.ts";

const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const UPLOADS = Number(process.env.UPLOADS ?? 8);
const EXPORT_ROWS = Number(process.env.EXPORT_ROWS ?? 100_000);

const MiB = 1024 * 1024;

const non2xx = (r: LoadResult) =>
  r.errors +
  Object.entries(r.byStatus)
    .filter(([code]) => !code.startsWith("2"))
    .reduce((sum, [, n]) => sum + n, 0);

const status = (pid: number, field: "VmRSS" | "VmHWM") =>
  Number(
    new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1],
  ) * 1024;

// --- run ----------------------------------------------------------------------------

const bundle = buildBundle();
const app = await startApp(bundle, { RATE_LIMITING: "off" });
const db = await app.mf.getD1Database("DB");
const baselines = await startScripts({
  empty: EMPTY_WORKER,
  sink: 'export default { async fetch(r) { await r.arrayBuffer(); return new Response("ok", { status: 201 }); } };',
});
const { empty, sink } = baselines.targets as Record<
  "empty" | "sink",
  (typeof baselines.targets)[string]
>;
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
  const cpu: Record<string, number[]> = { empty: [], submit: [] };
  let refused = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const e = await load(empty, { path: "/" }, { duration: DURATION });
    rps.empty!.push(e.rps);
    cpu.empty!.push(e.cpuUs);
    const r = await load(
      app,
      {
        method: "POST",
        path: "/api/v2/submissions",
        body: json,
        headers: { "content-type": "application/json" },
      },
      { duration: DURATION },
    );
    rps.submit!.push(r.rps);
    p50.push(r.p50);
    cpu.submit!.push(r.cpuUs);
    refused += non2xx(r);
  }
  const submitRps = median(rps.submit!);
  const emptyRps = median(rps.empty!);
  console.log(
    `RESULT json_submissions rps=${fmt(submitRps)} empty_rps=${fmt(emptyRps)} ratio=${fmt(submitRps / emptyRps, 2)} p50_ms=${median(p50)} cpu_us=${fmt(median(cpu.submit!))} empty_cpu_us=${fmt(median(cpu.empty!))} non2xx=${refused}`,
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
    `RESULT upload_5mib median_ms=${fmt(up, 1)} mib_per_s=${fmt(5 / (up / 1000), 1)} sink_median_ms=${fmt(floor, 1)} sink_mib_per_s=${fmt(5 / (floor / 1000), 1)} ratio=${fmt(floor / up, 2)}`,
  );

  // 3. Export of EXPORT_ROWS rows
  // Seeded inside D1 in chunks of 10,000 (one statement each, through the FTS
  // trigger like any insert): UUIDv7-shaped, time-ordered ids, as the API mints them.
  const start = Date.now() - EXPORT_ROWS;
  for (let from = 0; from < EXPORT_ROWS; from += 10_000) {
    const to = Math.min(EXPORT_ROWS, from + 10_000) - 1;
    await db
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
  writeFileSync(`/proc/${app.pid}/clear_refs`, "5");
  const rssBefore = status(app.pid, "VmRSS");
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
  const peak = status(app.pid, "VmHWM");
  const seconds = (Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000;
  console.log(
    `RESULT export rows=${job.result.rows} csv_mib=${fmt(job.result.bytes / MiB, 1)} job_s=${fmt(seconds, 1)} rows_per_s=${fmt(job.result.rows / seconds, 0)} workerd_rss_before_mib=${fmt(rssBefore / MiB, 0)} workerd_peak_mib=${fmt(peak / MiB, 0)} peak_growth_mib=${fmt((peak - rssBefore) / MiB, 0)}`,
  );
} finally {
  await app.dispose();
  await baselines.dispose();
}
