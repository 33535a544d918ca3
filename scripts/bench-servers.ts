/**
 * Servers API writes against reads on the production bundle under Miniflare,
 * with API-key auth, beside an empty Worker in the same run.
 *
 *   npm run bench:servers          # DURATION=5 ROUNDS=3 by default
 *
 * Loads (interleaved each round, 16 and 64 connections):
 *   empty       GET /                         the empty Worker
 *   list        GET /api/v2/servers?limit=20  uncached (`Cache-Control: no-cache`):
 *                                             one D1 round trip, like a create
 *   create      POST /api/v2/servers          a unique name per request
 *
 * Targets: creates answer 0 non-2xx, at ≥ 0.8× the uncached read's throughput;
 * during the 64-connection create load the oldest unsealed audit entry stays
 * under 5 s (sampled from D1 every 100 ms). Prints a RESULT line per load size.
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
// The creates below add thousands of servers to one owner: lift the per-owner quota.
const app = await startApp(bundle, { MAX_SERVERS_PER_OWNER: "1000000" });
const empty = await startEmpty();
try {
  const { headers } = await benchUser(app.url, {
    keyBody: { rate_limit_per_minute: 100_000 },
    servers: 500,
  });
  const db = await app.mf.getD1Database("DB");
  let n = 0;
  const createBody = () =>
    JSON.stringify({
      name: `load-${process.pid}-${n++}`,
      host: "load.example.com",
      port: 443,
      environment: "staging",
      tags: ["load"],
    });

  /** Runs `during` while sampling the sealing lag; returns its result and the worst lag seen. */
  async function withLagSampling<T>(during: () => Promise<T>): Promise<[T, number]> {
    let worst = 0;
    let running = true;
    const sampler = (async () => {
      while (running) {
        const row = await db
          .prepare("select min(created_at) as oldest from audit_logs where hash is null")
          .first<{ oldest: string | null }>();
        if (row?.oldest) worst = Math.max(worst, (Date.now() - Date.parse(row.oldest)) / 1000);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const result = await during();
    running = false;
    await sampler;
    return [result, worst];
  }

  const results: Record<string, LoadResult[]> = {};
  const lag: Record<number, number[]> = { 16: [], 64: [] };
  const record = (name: string, r: LoadResult) => {
    results[name] ??= [];
    results[name].push(r);
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const connections of [16, 64]) {
      record(`empty@${connections}`, await load(empty.url, { connections, duration: DURATION }));
      record(
        `list@${connections}`,
        await load(`${app.url}/api/v2/servers?limit=20`, {
          connections,
          duration: DURATION,
          headers: { ...headers, "cache-control": "no-cache" },
        }),
      );
      const [created, worstLag] = await withLagSampling(() =>
        load(`${app.url}/api/v2/servers`, {
          connections,
          duration: DURATION,
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: createBody,
        }),
      );
      record(`create@${connections}`, created);
      lag[connections]!.push(worstLag);
    }
  }
  // Let the sequencer finish, then check the whole chain.
  await new Promise((r) => setTimeout(r, 2_000));
  const unsealed = await db
    .prepare("select count(*) as n from audit_logs where hash is null")
    .first<{ n: number }>();

  console.log(`median of ${ROUNDS} interleaved rounds × ${DURATION} s`);
  console.log("load          rps   ×empty   p50 ms  p99 ms  errors  responses by status");
  for (const connections of [16, 64]) {
    const rps = (name: string) => median(results[`${name}@${connections}`]!.map((r) => r.rps));
    for (const name of ["empty", "list", "create"]) {
      const rs = results[`${name}@${connections}`]!;
      const statuses: Record<string, number> = {};
      for (const r of rs)
        for (const [code, c] of Object.entries(r.byStatus))
          statuses[code] = (statuses[code] ?? 0) + c;
      console.log(
        `${`${name}@${connections}`.padEnd(12)}  ${fmt(rps(name), 0).padStart(5)}  ${fmt(rps(name) / rps("empty"), 2).padStart(6)}  ${fmt(median(rs.map((r) => r.p50)), 1).padStart(6)}  ${fmt(median(rs.map((r) => r.p99)), 1).padStart(6)}  ${String(rs.reduce((a, r) => a + r.errors, 0)).padStart(6)}  ${JSON.stringify(statuses)}`,
      );
    }
    const creates = results[`create@${connections}`]!;
    console.log(
      `RESULT connections=${connections} create_vs_uncached_read=${fmt(rps("create") / rps("list"), 2)} create_non2xx=${creates.reduce((a, r) => a + r.non2xx + r.errors, 0)} worst_oldest_unsealed_s=${fmt(Math.max(...lag[connections]!), 2)}`,
    );
  }
  console.log(`unsealed audit entries 2 s after the last load: ${unsealed?.n ?? "?"}`);
} finally {
  await app.dispose();
  await empty.dispose();
}
