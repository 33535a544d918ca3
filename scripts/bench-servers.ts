/**
 * Servers API throughput and latency on the production bundle under Miniflare,
 * with API-key auth, against an empty Worker in the same run.
 *
 *   npm run bench:servers          # DURATION=5 ROUNDS=3 by default
 *
 * Loads (interleaved each round, 16 and 64 connections):
 *   empty       GET /                       the empty Worker
 *   list        GET /api/v2/servers?limit=20 (500 servers owned by the key's user)
 *   create      POST /api/v2/servers         (a unique name per request)
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
const app = await startApp(bundle);
const empty = await startEmpty();
try {
  const { headers } = await benchUser(app.url, { servers: 500 });
  let n = 0;
  const createBody = () =>
    JSON.stringify({
      name: `load-${process.pid}-${n++}`,
      host: "load.example.com",
      port: 443,
      environment: "staging",
      tags: ["load"],
    });

  const results: Record<string, LoadResult[]> = {};
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
          headers,
        }),
      );
      record(
        `create@${connections}`,
        await load(`${app.url}/api/v2/servers`, {
          connections,
          duration: DURATION,
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: createBody,
        }),
      );
    }
  }
  console.log(`median of ${ROUNDS} interleaved rounds × ${DURATION} s`);
  console.log("load          rps      ratio   p50 ms  p99 ms  errors  non-2xx");
  for (const connections of [16, 64]) {
    const base = median(results[`empty@${connections}`]!.map((r) => r.rps));
    for (const name of ["empty", "list", "create"]) {
      const rs = results[`${name}@${connections}`]!;
      const rps = median(rs.map((r) => r.rps));
      console.log(
        `${`${name}@${connections}`.padEnd(12)}  ${fmt(rps, 0).padStart(6)}  ${fmt(rps / base, 2).padStart(6)}  ${fmt(median(rs.map((r) => r.p50)), 1).padStart(6)}  ${fmt(median(rs.map((r) => r.p99)), 1).padStart(6)}  ${String(rs.reduce((a, r) => a + r.errors, 0)).padStart(6)}  ${String(rs.reduce((a, r) => a + r.non2xx, 0)).padStart(7)}`,
      );
    }
  }
} finally {
  await app.dispose();
  await empty.dispose();
}
