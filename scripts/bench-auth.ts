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
 *   jwt   — Bearer access token (HS256 verify + cached user lookup + cached
 *           session revocation check)
 * Rounds are interleaved (anon key jwt, anon key jwt, …); medians across rounds.
 */
import { sign } from "hono/jwt";
import { LruCache } from "../src/cache/lru.ts";
import { sha256Hex } from "../src/lib/encoding.ts";
import { isWellFormedApiKey } from "../src/services/api-keys/format.ts";
import { verifyAccessToken } from "../src/services/auth/access-token.ts";
import { isFamilyRevoked } from "../src/services/auth/revocation.ts";
import {
  benchUser,
  buildBundle,
  fmt,
  latencies,
  load,
  median,
  percentile,
  startApp,
  startEmpty,
} from "./bench/harness.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SAMPLES = Number(process.env.SAMPLES ?? 2000);

const bundle = buildBundle();
const app = await startApp(bundle);
const empty = await startEmpty();
try {
  const { token, key: apiKey } = await benchUser(app.url, {
    keyBody: { scopes: ["servers:read"] },
  });
  const session = { access_token: token };
  const key = { key: apiKey };
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
  const entries = Object.entries(variants);
  for (let r = 0; r < ROUNDS; r++) {
    // Rotate the order each round so no variant always runs first (or last).
    const order = entries.map((_, i) => entries[(i + r) % entries.length]!);
    for (const [name, headers] of order) {
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

  // The same code paths in-process (V8, as in workerd), where sub-microsecond
  // timing works: workerd freezes performance.now() during CPU work, so this is
  // how the CPU part of the cost is seen precisely.
  const N = 20_000;
  const secret = "bench-secret-bench-secret-bench-secret!!";
  const now = Math.floor(Date.now() / 1000);
  const jwt = await sign(
    {
      sub: "u",
      role: "viewer",
      jti: "j",
      iat: now,
      exp: now + 900,
      iss: "edgepanel",
      aud: "edgepanel-api",
    },
    secret,
    "HS256",
  );
  const cache = new LruCache<object>(10_000);
  const hash = await sha256Hex(key.key!);
  cache.set(hash, { id: "k" }, 60_000);
  const time = async (fn: () => Promise<unknown> | unknown) => {
    for (let i = 0; i < 2000; i++) await fn();
    const t0 = performance.now();
    for (let i = 0; i < N; i++) await fn();
    return ((performance.now() - t0) / N) * 1000;
  };
  const keyUs = await time(
    async () => isWellFormedApiKey(key.key!) && cache.get(await sha256Hex(key.key!)),
  );
  const jwtUs = await time(() => verifyAccessToken(secret, jwt));
  // The session revocation check on its hot path: the family is in the isolate cache
  // (a KV read happens at most once per family per 30 s per isolate).
  let kvReads = 0;
  const kv = {
    get: async () => {
      kvReads++;
      return null;
    },
  } as unknown as KVNamespace;
  await isFamilyRevoked(kv, "bench-family");
  const famUs = await time(() => isFamilyRevoked(kv, "bench-family"));
  console.log(
    `in-process CPU per request: api key check+hash+LRU hit ${fmt(keyUs, 1)} µs; JWT verify ${fmt(jwtUs, 1)} µs; session revocation check (cached) ${fmt(famUs, 2)} µs, ${kvReads} KV read(s) in ${N + 2001} checks`,
  );
  console.log(
    `RESULT api_key_auth_cpu_us=${fmt(keyUs, 1)} jwt_verify_cpu_us=${fmt(jwtUs, 1)} revocation_check_cpu_us=${fmt(famUs, 2)}`,
  );
} finally {
  await app.dispose();
  await empty.dispose();
}
