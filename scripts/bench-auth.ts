/**
 * What authentication costs per request, on the production bundle under Miniflare.
 *
 *   npm run bench:auth            # ROUNDS=5 SAMPLES=2000 by default
 *
 * Three requests that differ only in credentials hit the same path
 * (`/api/v2/__bench`, which runs the whole middleware chain and ends in a 404
 * problem), so the difference in their latency is authentication alone:
 *   anon  — no credentials
 *   key   — X-API-Key, warm cache (the isolate LRU; KV and D1 are not touched)
 *   jwt   — Bearer access token (HS256 verify + cached user lookup)
 * Rounds are interleaved (anon key jwt, anon key jwt, …); medians across rounds.
 */
import {
  buildBundle,
  fmt,
  latencies,
  load,
  median,
  percentile,
  startApp,
  startEmpty,
} from "./bench/harness.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SAMPLES = Number(process.env.SAMPLES ?? 2000);

const bundle = buildBundle();
const app = await startApp(bundle);
const empty = await startEmpty();
try {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${app.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, string>>;
  };
  const session = await post("/api/v2/auth/register", {
    email: "bench@example.com",
    password: "benchmark password 123",
    name: "Bench",
  });
  const key = await post(
    "/api/v2/api-keys",
    { name: "bench", scopes: ["servers:read"] },
    { authorization: `Bearer ${session.access_token}` },
  );
  const target = `${app.url}/api/v2/__bench`;
  const variants = {
    anon: {},
    key: { "x-api-key": key.key! },
    jwt: { authorization: `Bearer ${session.access_token}` },
  } satisfies Record<string, Record<string, string>>;

  // Warm up every path (JIT, isolate caches).
  for (const headers of Object.values(variants)) await latencies(target, 300, headers);
  await latencies(empty.url, 300);

  const p50s: Record<string, number[]> = { anon: [], key: [], jwt: [], empty: [] };
  const p99s: Record<string, number[]> = { anon: [], key: [], jwt: [], empty: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, headers] of Object.entries(variants)) {
      const xs = await latencies(target, SAMPLES, headers);
      p50s[name]!.push(median(xs));
      p99s[name]!.push(percentile(xs, 99));
    }
    const xs = await latencies(empty.url, SAMPLES);
    p50s.empty!.push(median(xs));
    p99s.empty!.push(percentile(xs, 99));
  }
  const m = (name: string) => median(p50s[name]!);
  console.log(
    `sequential latency, ${ROUNDS} interleaved rounds × ${SAMPLES} requests (median of per-round values, ms)`,
  );
  console.log("variant  p50     p99     added p50 vs anon");
  for (const name of ["empty", "anon", "key", "jwt"]) {
    const added = name === "empty" || name === "anon" ? "" : fmt(m(name) - m("anon"));
    console.log(`${name.padEnd(8)} ${fmt(m(name))}  ${fmt(median(p99s[name]!))}  ${added}`);
  }
  console.log(
    `RESULT api_key_auth_added_p50_ms=${fmt(m("key") - m("anon"))} jwt_auth_added_p50_ms=${fmt(m("jwt") - m("anon"))}`,
  );

  // Throughput at 16 connections, interleaved, as a ratio to the empty Worker.
  const rps: Record<string, number[]> = { empty: [], anon: [], key: [], jwt: [] };
  for (let r = 0; r < 3; r++) {
    rps.empty!.push((await load(empty.url, { duration: 3 })).rps);
    for (const [name, headers] of Object.entries(variants))
      rps[name]!.push((await load(target, { duration: 3, headers })).rps);
  }
  const base = median(rps.empty!);
  console.log(
    "throughput at 16 connections (median of 3 × 3 s): rps and ratio to the empty Worker",
  );
  for (const name of ["empty", "anon", "key", "jwt"])
    console.log(
      `${name.padEnd(8)} ${fmt(median(rps[name]!), 0)}  ${fmt(median(rps[name]!) / base, 2)}`,
    );
} finally {
  await app.dispose();
  await empty.dispose();
}
