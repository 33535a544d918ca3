/**
 * Cached vs uncached reads, against an empty Worker, on the production bundle
 * under Miniflare (method: docs/benchmarks.md).
 *
 *   npm run bench:cache          # DURATION=5 ROUNDS=3 by default
 *
 * `GET /api/v2/servers?limit=20` with an API key (500 servers):
 *   warm   — served from the isolate cache (after one miss)
 *   cold   — the same request with `Cache-Control: no-cache`: the cache is skipped,
 *            D1 is queried and the cache refreshed (an uncached read)
 * Targets (issue 7): warm ≥ 70 % of the empty Worker's throughput, ≥ 2.5× cold,
 * and warm p99 ≤ 3× its p50.
 */
import {
  benchUser,
  buildBundle,
  fmt,
  type LoadResult,
  load,
  median,
  startApp,
  startEmpty,
} from "./bench/harness.ts";

const DURATION = Number(process.env.DURATION ?? 5);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

const bundle = buildBundle();
// BENCH_VARS='{"LOG_LEVEL":"warn"}' overrides Worker vars, to find where time goes.
const app = await startApp(bundle, JSON.parse(process.env.BENCH_VARS ?? "{}"));
const empty = await startEmpty();
try {
  const { headers } = await benchUser(app.url, {
    keyBody: { rate_limit_per_minute: 100_000 },
    servers: 500,
  });
  const url = `${app.url}/api/v2/servers?limit=20`;
  const warmup = await fetch(url, { headers });
  if (warmup.status !== 200) throw new Error(`warm-up: ${warmup.status}`);

  const results: Record<string, LoadResult[]> = {};
  const record = (name: string, r: LoadResult) => {
    results[name] ??= [];
    results[name].push(r);
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const connections of [16, 64]) {
      record(`empty@${connections}`, await load(empty.url, { connections, duration: DURATION }));
      record(`warm@${connections}`, await load(url, { connections, duration: DURATION, headers }));
      record(
        `cold@${connections}`,
        await load(url, {
          connections,
          duration: DURATION,
          headers: { ...headers, "cache-control": "no-cache" },
        }),
      );
    }
  }
  console.log(`median of ${ROUNDS} interleaved rounds × ${DURATION} s`);
  console.log("load        rps     ×empty  p50 ms  p99 ms  p99/p50  non-2xx");
  for (const connections of [16, 64]) {
    const rps = (name: string) => median(results[`${name}@${connections}`]!.map((r) => r.rps));
    const p = (name: string, k: "p50" | "p99") =>
      median(results[`${name}@${connections}`]!.map((r) => r[k]));
    for (const name of ["empty", "warm", "cold"]) {
      const non2xx = results[`${name}@${connections}`]!.reduce(
        (a, r) => a + r.non2xx + r.errors,
        0,
      );
      console.log(
        `${`${name}@${connections}`.padEnd(10)}  ${fmt(rps(name), 0).padStart(6)}  ${fmt(rps(name) / rps("empty"), 2).padStart(6)}  ${fmt(p(name, "p50"), 1).padStart(6)}  ${fmt(p(name, "p99"), 1).padStart(6)}  ${fmt(p(name, "p99") / Math.max(1, p(name, "p50")), 2).padStart(7)}  ${String(non2xx).padStart(7)}`,
      );
    }
    console.log(
      `RESULT connections=${connections} warm_vs_empty=${fmt(rps("warm") / rps("empty"), 2)} warm_vs_cold=${fmt(rps("warm") / rps("cold"), 2)} warm_p99_over_p50=${fmt(p("warm", "p99") / Math.max(1, p("warm", "p50")), 2)}`,
    );
  }
} finally {
  await app.dispose();
  await empty.dispose();
}
