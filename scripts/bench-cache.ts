/**
 * Cached vs uncached reads, against an empty Worker, on the production bundle
 * under Miniflare (method: docs/benchmarks.md).
 *
 *   npm run bench:cache          # DURATION=5 ROUNDS=3 by default
 *
 * `GET /api/v2/servers?limit=20` with an API key (500 servers):
 *   warm    — served from the isolate cache (after one miss)
 *   cold    — the same request with `Cache-Control: no-cache`: the cache is skipped,
 *             D1 is queried and the cache refreshed (an uncached read)
 *   ceiling — that same response (status, headers, body) replayed from memory by
 *             the same bundle with none of our code running (scripts/bench/
 *             replay-entry.ts): what the response itself costs in this harness,
 *             so the report can tell it apart from what our code costs
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
const PATH = "/api/v2/servers?limit=20";

const bundle = buildBundle();
const replayBundle = buildBundle("scripts/bench/replay-entry.ts", "dist/bench");
// BENCH_VARS='{"LOG_LEVEL":"warn"}' overrides Worker vars, to find where time goes.
const vars = JSON.parse(process.env.BENCH_VARS ?? "{}");
const app = await startApp(bundle, vars);
const replay = await startApp(replayBundle, vars);
const empty = await startEmpty();
try {
  const fixture = { keyBody: { rate_limit_per_minute: 100_000 }, servers: 500 };
  const { headers } = await benchUser(app.url, fixture);
  const replayUser = await benchUser(replay.url, fixture);
  const url = `${app.url}${PATH}`;
  const ceilingUrl = `${replay.url}/__replay?path=${encodeURIComponent(PATH)}`;
  for (const [u, h] of [
    [url, headers],
    [ceilingUrl, replayUser.headers],
  ] as const) {
    const res = await fetch(u, { headers: h });
    if (res.status !== 200) throw new Error(`warm-up ${u}: ${res.status}`);
  }

  const targets: Record<string, (connections: number) => Promise<LoadResult>> = {
    empty: (connections) => load(empty.url, { connections, duration: DURATION }),
    ceiling: (connections) =>
      load(ceilingUrl, { connections, duration: DURATION, headers: replayUser.headers }),
    warm: (connections) => load(url, { connections, duration: DURATION, headers }),
    cold: (connections) =>
      load(url, {
        connections,
        duration: DURATION,
        headers: { ...headers, "cache-control": "no-cache" },
      }),
  };
  // JIT, caches and leases settle before anything is recorded.
  for (const run of Object.values(targets)) await run(16);

  const results: Record<string, LoadResult[]> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const connections of [16, 64]) {
      for (const [name, run] of Object.entries(targets)) {
        const key = `${name}@${connections}`;
        results[key] ??= [];
        results[key].push(await run(connections));
      }
    }
  }
  console.log(`median of ${ROUNDS} interleaved rounds × ${DURATION} s`);
  console.log("load          rps     ×empty  p50 ms  p99 ms  p99/p50  non-2xx");
  for (const connections of [16, 64]) {
    const runs = (name: string) => results[`${name}@${connections}`]!;
    const rps = (name: string) => median(runs(name).map((r) => r.rps));
    // Each round's ratio pairs loads run a few seconds apart; their median is
    // steadier than a ratio of medians when the machine's speed drifts.
    const ratio = (name: string) => median(runs(name).map((r, i) => r.rps / runs("empty")[i]!.rps));
    const p = (name: string, k: "p50" | "p99") => median(runs(name).map((r) => r[k]));
    for (const name of Object.keys(targets)) {
      const non2xx = runs(name).reduce((a, r) => a + r.non2xx + r.errors, 0);
      console.log(
        `${`${name}@${connections}`.padEnd(12)}  ${fmt(rps(name), 0).padStart(6)}  ${fmt(ratio(name), 2).padStart(6)}  ${fmt(p(name, "p50"), 1).padStart(6)}  ${fmt(p(name, "p99"), 1).padStart(6)}  ${fmt(p(name, "p99") / Math.max(1, p(name, "p50")), 2).padStart(7)}  ${String(non2xx).padStart(7)}`,
      );
    }
    console.log(
      `RESULT connections=${connections} warm_vs_empty=${fmt(ratio("warm"), 2)} ceiling_vs_empty=${fmt(ratio("ceiling"), 2)} warm_vs_ceiling=${fmt(rps("warm") / rps("ceiling"), 2)} warm_vs_cold=${fmt(rps("warm") / rps("cold"), 2)} warm_p99_over_p50=${fmt(p("warm", "p99") / Math.max(1, p("warm", "p50")), 2)}`,
    );
  }
} finally {
  await app.dispose();
  await replay.dispose();
  await empty.dispose();
}
