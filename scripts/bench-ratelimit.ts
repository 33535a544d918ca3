/**
 * What the rate limiter costs per request, and how exact it is under load, on the
 * production bundle under Miniflare (see docs/benchmarks.md for the method).
 *
 *   npm run bench:ratelimit        # ROUNDS=6 SAMPLES=2000 by default
 *
 * 1. Added latency: the same authenticated request (`/api/v2/__bench`, API key with
 *    a limit high enough never to trip) against two instances of the bundle,
 *    RATE_LIMITING=on and =off, interleaved; the p50/p99 difference is the check.
 * 2. Accuracy: a key limited to 500/min hammered by 64 concurrent connections for
 *    5 s (far more than 500 attempts); exactly 500 must be admitted.
 */
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
const on = await startApp(bundle, { RATE_LIMITING: "on" });
const off = await startApp(bundle, { RATE_LIMITING: "off" });
const empty = await startEmpty();
try {
  const keyFor = async (url: string, keyBody: Record<string, unknown>) =>
    (await benchUser(url, { keyBody: { scopes: ["servers:read"], ...keyBody } })).key;
  const keyOn = await keyFor(on.url, { rate_limit_per_minute: 100_000 });
  const keyOff = await keyFor(off.url, { rate_limit_per_minute: 100_000 });
  const targets = {
    off: () => latencies(`${off.url}/api/v2/__bench`, SAMPLES, { "x-api-key": keyOff }),
    on: () => latencies(`${on.url}/api/v2/__bench`, SAMPLES, { "x-api-key": keyOn }),
  };
  await latencies(`${off.url}/api/v2/__bench`, 300, { "x-api-key": keyOff });
  await latencies(`${on.url}/api/v2/__bench`, 300, { "x-api-key": keyOn });
  await latencies(empty.url, 300);

  const p50: Record<string, number[]> = { off: [], on: [], empty: [] };
  const p99: Record<string, number[]> = { off: [], on: [], empty: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? (["on", "off"] as const) : (["off", "on"] as const);
    for (const name of order) {
      const xs = await targets[name]();
      p50[name]!.push(median(xs));
      p99[name]!.push(percentile(xs, 99));
    }
    const xs = await latencies(empty.url, SAMPLES);
    p50.empty!.push(median(xs));
    p99.empty!.push(percentile(xs, 99));
  }
  const m = (xs: number[]) => median(xs);
  console.log(
    `sequential latency, ${ROUNDS} interleaved rounds × ${SAMPLES} requests (ms, medians of per-round values)`,
  );
  for (const name of ["empty", "off", "on"])
    console.log(`${name.padEnd(6)} p50 ${fmt(m(p50[name]!))}  p99 ${fmt(m(p99[name]!))}`);
  const perRound = p50.on!.map((v, i) => v - p50.off![i]!);
  console.log(`per-round added p50 (on − off): ${perRound.map((v) => fmt(v)).join(" ")}`);
  console.log(
    `RESULT ratelimit_added_p50_ms=${fmt(m(p50.on!) - m(p50.off!))} ratelimit_added_p99_ms=${fmt(m(p99.on!) - m(p99.off!))}`,
  );

  // Accuracy: one identity, 64 connections, 5 s — an exact limit (below the allowance
  // threshold) and a high one served from in-isolate leases.
  for (const limit of [400, 1000]) {
    const res = await fetch(`${on.url}/api/v2/api-keys`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": keyOn },
      body: JSON.stringify({
        name: `limited-${limit}`,
        scopes: ["servers:read"],
        rate_limit_per_minute: limit,
      }),
    });
    const limited = ((await res.json()) as { key: string }).key;
    const r = await load(`${on.url}/api/v2/auth/me`, {
      connections: 64,
      duration: 5,
      headers: { "x-api-key": limited },
    });
    const mode =
      limit >= 500 ? `leases of ${Math.max(5, Math.min(50, Math.floor(limit * 0.02)))}` : "exact";
    console.log(
      `accuracy: limit ${limit}/min (${mode}), 64 connections × 5 s: ${r.total} attempts, ${r.ok2xx} admitted (2xx), ${r.non2xx} refused (429), errors ${r.errors}`,
    );
    console.log(`RESULT ratelimit_accuracy_limit=${limit} admitted=${r.ok2xx}`);
  }
} finally {
  await on.dispose();
  await off.dispose();
  await empty.dispose();
}
