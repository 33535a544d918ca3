/**
 * `npm run loadtest`: a realistic traffic mix against a running instance, in phases,
 * with thresholds that fail the run (exit code 1). See docs/benchmarks.md.
 *
 *   npm run dev -- --port 8799                       # in another terminal
 *   npm run loadtest -- --profile load --target http://127.0.0.1:8799
 *
 * Options:
 *   --profile smoke|load|stress|spike|soak   (default smoke)
 *   --target URL          the instance (default http://127.0.0.1:8787)
 *   --allow-remote        required for anything but a loopback address
 *   --email, --password   an admin to sign in as (default: the seeded local demo admin,
 *                         admin@example.com / admin-password-123; env LOADTEST_EMAIL,
 *                         LOADTEST_PASSWORD)
 *   --keys N              API keys to create and spread the traffic over (default 20)
 *   --soak-minutes M      length of the soak's steady phase (default 10, max 120)
 *   --scale X             multiply every phase's rate (e.g. 10 for a deployed instance;
 *                         the rates below suit `npm run dev` on a small machine)
 *   --keep                leave the keys and servers this run created
 *
 * Setup: signs in once, creates `--keys` API keys (servers:read + servers:write, 100,000
 * requests/min each, so the product's own limits do not shape the result) and 20
 * servers named `loadtest-<run>-…`. Traffic: 70 % reads (a server by id, or a list page
 * with a varying size, filter or sort, by a random key), 20 % the same cached list
 * page by a random key, 10 % writes on this run's own servers (create, update, delete
 * in turn; at most 50 alive). The load is an open model: requests start at the phase's
 * rate whether or not earlier ones finished (capped at 256 in flight), so a slow
 * server shows up as latency instead of hiding behind fewer requests. Afterwards the
 * run deletes its servers and revokes its keys (audit entries stay, as for any write),
 * unless --keep.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    profile: { type: "string", default: "smoke" },
    target: { type: "string", default: "http://127.0.0.1:8787" },
    "allow-remote": { type: "boolean", default: false },
    email: { type: "string", default: process.env.LOADTEST_EMAIL ?? "admin@example.com" },
    password: { type: "string", default: process.env.LOADTEST_PASSWORD ?? "admin-password-123" },
    keys: { type: "string", default: "20" },
    "soak-minutes": { type: "string", default: "10" },
    scale: { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
  },
});

interface Phase {
  name: string;
  seconds: number;
  /** Requests per second at the start and end of the phase (linear ramp between). */
  from: number;
  to: number;
}
interface Thresholds {
  /** p95 latency in ms, over the phases marked as judged. */
  p95Ms: number;
  /** Share of requests that failed (network error, timeout, 5xx, unexpected 4xx). */
  errorRate: number;
  /** Phases the thresholds apply to (default: all). */
  judged?: string[];
}
const soakSeconds = Math.min(120, Math.max(1, Number(args["soak-minutes"]))) * 60;
const PROFILES: Record<string, { phases: Phase[]; thresholds: Thresholds; what: string }> = {
  smoke: {
    what: "does it work: a trickle of the mix",
    phases: [{ name: "steady", seconds: 15, from: 5, to: 5 }],
    thresholds: { p95Ms: 500, errorRate: 0.001 },
  },
  load: {
    what: "expected traffic: ramp to 10 req/s, hold, ramp down",
    phases: [
      { name: "ramp-up", seconds: 10, from: 1, to: 10 },
      { name: "steady", seconds: 40, from: 10, to: 10 },
      { name: "ramp-down", seconds: 5, from: 10, to: 1 },
    ],
    thresholds: { p95Ms: 200, errorRate: 0.001 },
  },
  stress: {
    what: "where it bends: steps of 10, 20, 40, 80 req/s",
    phases: [10, 20, 40, 80].map((r) => ({ name: `${r}/s`, seconds: 15, from: r, to: r })),
    thresholds: { p95Ms: 1_000, errorRate: 0.01 },
  },
  spike: {
    what: "a sudden burst and the recovery after it",
    phases: [
      { name: "before", seconds: 10, from: 10, to: 10 },
      { name: "spike", seconds: 10, from: 100, to: 100 },
      { name: "recovery", seconds: 20, from: 10, to: 10 },
    ],
    // The burst may queue; it must not fail, and the service must recover after it.
    thresholds: { p95Ms: 200, errorRate: 0.01, judged: ["before", "recovery"] },
  },
  soak: {
    what: "steady traffic for long enough to see leaks and drift",
    phases: [
      { name: "ramp-up", seconds: 10, from: 2, to: 15 },
      { name: "steady", seconds: soakSeconds, from: 15, to: 15 },
    ],
    thresholds: { p95Ms: 200, errorRate: 0.001 },
  },
};

const chosen = PROFILES[args.profile!];
if (!chosen) throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(", ")}`);
const scale = Number(args.scale);
if (!(scale > 0)) throw new Error("--scale must be a positive number");
const profile = {
  ...chosen,
  phases: chosen.phases.map((p) => ({ ...p, from: p.from * scale, to: p.to * scale })),
};
const target = new URL(args.target!);
const base = target.origin;
const loopback = ["127.0.0.1", "localhost", "[::1]", "::1"].includes(target.hostname);
if (!loopback && !args["allow-remote"]) {
  console.error(`refusing to load ${base}: not a loopback address (pass --allow-remote)`);
  process.exit(2);
}
const MAX_IN_FLIGHT = 256;
const TIMEOUT_MS = 10_000;
const RUN = randomUUID().slice(0, 8);

// ---------------------------------------------------------------- requests

async function call(
  method: string,
  path: string,
  { body, headers = {} }: { body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, json: () => JSON.parse(text) as Record<string, unknown>, text };
}

async function must(
  method: string,
  path: string,
  opts: Parameters<typeof call>[2],
): Promise<Record<string, unknown>> {
  const r = await call(method, path, opts);
  if (r.status >= 300) throw new Error(`setup: ${method} ${path} → ${r.status} ${r.text}`);
  return r.status === 204 ? {} : r.json();
}

const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
const serverBody = (n: number) => ({
  name: `loadtest-${RUN}-${n}`,
  host: `lt-${RUN}-${n}.example.com`,
  port: 443,
  environment: pick(["production", "staging", "development"]),
  tags: ["loadtest"],
});

// ---------------------------------------------------------------- setup

console.log(`loadtest ${args.profile} (${profile.what}) against ${base}, run ${RUN}`);
const session = await must("POST", "/api/v2/auth/login", {
  body: { email: args.email, password: args.password },
});
const bearer = { authorization: `Bearer ${session.access_token as string}` };
const keys: { id: string; key: string }[] = [];
for (let i = 0; i < Number(args.keys); i++) {
  const k = await must("POST", "/api/v2/api-keys", {
    headers: bearer,
    body: {
      name: `loadtest-${RUN}-${i}`,
      scopes: ["servers:read", "servers:write"],
      rate_limit_per_minute: 100_000,
    },
  });
  keys.push({ id: k.id as string, key: k.key as string });
}
const keyHeader = () => ({ "x-api-key": pick(keys).key });
let created = 0;
const alive: string[] = [];
for (let i = 0; i < 20; i++) {
  const s = await must("POST", "/api/v2/servers", {
    headers: keyHeader(),
    body: serverBody(created++),
  });
  alive.push(s.id as string);
}
console.log(`setup: signed in as ${args.email}, ${keys.length} API keys, ${alive.length} servers`);

// ---------------------------------------------------------------- the mix

type Op = { kind: string; run: () => Promise<{ status: number; ok: boolean }> };
const expect = (ok: number[]) => (r: { status: number }) => ({
  status: r.status,
  ok: ok.includes(r.status),
});
const LIMITS = [5, 10, 20, 50];
const SORTS = ["name", "-name", "created_at", "-created_at"];
let writes = 0;

function nextOp(): Op {
  const x = Math.random();
  if (x < 0.7) {
    if (Math.random() < 0.3 && alive.length)
      return {
        kind: "read",
        run: async () =>
          expect([200, 404])(
            await call("GET", `/api/v2/servers/${pick(alive)}`, { headers: keyHeader() }),
          ),
      };
    const q = new URLSearchParams({ limit: String(pick(LIMITS)), sort: pick(SORTS) });
    if (Math.random() < 0.5) q.set("environment", pick(["production", "staging", "development"]));
    return {
      kind: "read",
      run: async () =>
        expect([200])(await call("GET", `/api/v2/servers?${q}`, { headers: keyHeader() })),
    };
  }
  if (x < 0.9)
    return {
      kind: "cached read",
      run: async () =>
        expect([200])(await call("GET", "/api/v2/servers?limit=20", { headers: keyHeader() })),
    };
  const step = writes++ % 3;
  if (step === 0 && alive.length < 50)
    return {
      kind: "write",
      run: async () => {
        const r = await call("POST", "/api/v2/servers", {
          headers: keyHeader(),
          body: serverBody(created++),
        });
        if (r.status === 201) alive.push(r.json().id as string);
        return expect([201])(r);
      },
    };
  if (step === 2 && alive.length > 10) {
    const id = alive.shift()!;
    return {
      kind: "write",
      run: async () =>
        expect([204])(await call("DELETE", `/api/v2/servers/${id}`, { headers: keyHeader() })),
    };
  }
  const id = pick(alive);
  return {
    kind: "write",
    // 404: deleted by a concurrent write of this run since it was picked.
    run: async () =>
      expect([200, 404])(
        await call("PATCH", `/api/v2/servers/${id}`, {
          headers: keyHeader(),
          body: { port: 1024 + Math.floor(Math.random() * 60_000) },
        }),
      ),
  };
}

// ---------------------------------------------------------------- run

interface Stats {
  latencies: number[];
  /** Latencies by kind of request (read, cached read, write). */
  kindLatencies: Record<string, number[]>;
  errors: number;
  byStatus: Record<string, number>;
  byKind: Record<string, number>;
  dropped: number;
  started: number;
  seconds: number;
}
const newStats = (): Stats => ({
  latencies: [],
  kindLatencies: {},
  errors: 0,
  byStatus: {},
  byKind: {},
  dropped: 0,
  started: 0,
  seconds: 0,
});

let inFlight = 0;
const pending = new Set<Promise<void>>();
function fire(stats: Stats) {
  if (inFlight >= MAX_IN_FLIGHT) {
    // Counted as failures: the client could not even send them in time.
    stats.dropped++;
    stats.errors++;
    return;
  }
  const op = nextOp();
  inFlight++;
  const t0 = performance.now();
  const p = op
    .run()
    .then(
      ({ status, ok }) => {
        stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
        if (!ok) stats.errors++;
      },
      (error: Error) => {
        const name = error.name === "TimeoutError" ? "timeout" : "network";
        stats.byStatus[name] = (stats.byStatus[name] ?? 0) + 1;
        stats.errors++;
      },
    )
    .finally(() => {
      const ms = performance.now() - t0;
      stats.latencies.push(ms);
      const kind = stats.kindLatencies[op.kind] ?? [];
      kind.push(ms);
      stats.kindLatencies[op.kind] = kind;
      stats.byKind[op.kind] = (stats.byKind[op.kind] ?? 0) + 1;
      inFlight--;
      pending.delete(p);
    });
  pending.add(p);
}

async function runPhase(phase: Phase): Promise<Stats> {
  const stats = newStats();
  const start = performance.now();
  const end = start + phase.seconds * 1000;
  let sent = 0;
  // Requests due by now: the integral of the linear rate over the elapsed time.
  const due = (t: number) => {
    const s = Math.min(phase.seconds, (t - start) / 1000);
    return phase.from * s + ((phase.to - phase.from) * s * s) / (2 * phase.seconds);
  };
  while (performance.now() < end) {
    const now = performance.now();
    while (sent < Math.floor(due(now))) {
      fire(stats);
      sent++;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  stats.seconds = (performance.now() - start) / 1000;
  stats.started = sent;
  return stats;
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
const f1 = (n: number) => n.toFixed(1);

const results: [Phase, Stats][] = [];
let failed = false;
try {
  for (const phase of profile.phases) {
    const stats = await runPhase(phase);
    results.push([phase, stats]);
    console.log(
      `phase ${phase.name}: ${stats.started} requests started in ${f1(stats.seconds)} s (${phase.from === phase.to ? phase.from : `${phase.from}→${phase.to}`} req/s asked)`,
    );
  }
  // Responses of the last phase still in flight belong to it.
  await Promise.race([
    Promise.allSettled([...pending]),
    new Promise((r) => setTimeout(r, TIMEOUT_MS + 1000)),
  ]);

  console.log("");
  console.log(
    "| phase | requests | throughput req/s | p50 ms | p95 ms | p99 ms | errors | error rate | responses |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const judged = (name: string) =>
    !profile.thresholds.judged || profile.thresholds.judged.includes(name);
  const all = newStats();
  for (const [phase, s] of results) {
    const sorted = [...s.latencies].sort((a, b) => a - b);
    const n = s.latencies.length + s.dropped;
    console.log(
      `| ${phase.name} | ${n} | ${f1(s.latencies.length / s.seconds)} | ${f1(pct(sorted, 50))} | ${f1(pct(sorted, 95))} | ${f1(pct(sorted, 99))} | ${s.errors} | ${((s.errors / Math.max(1, n)) * 100).toFixed(2)} % | ${Object.entries(
        s.byStatus,
      )
        .map(([k, v]) => `${v} × ${k}`)
        .join(", ")} |`,
    );
    if (judged(phase.name)) {
      all.latencies.push(...s.latencies);
      all.errors += s.errors;
      all.dropped += s.dropped;
      for (const [k, v] of Object.entries(s.byKind)) all.byKind[k] = (all.byKind[k] ?? 0) + v;
      for (const [k, v] of Object.entries(s.kindLatencies))
        all.kindLatencies[k] = [...(all.kindLatencies[k] ?? []), ...v];
    }
  }
  const sorted = all.latencies.sort((a, b) => a - b);
  const n = all.latencies.length + all.dropped;
  const p95 = pct(sorted, 95);
  const errorRate = all.errors / Math.max(1, n);
  const t = profile.thresholds;
  const verdicts = [
    [`p95 ${f1(p95)} ms < ${t.p95Ms} ms`, p95 < t.p95Ms],
    [
      `error rate ${(errorRate * 100).toFixed(3)} % < ${(t.errorRate * 100).toFixed(1)} %`,
      errorRate < t.errorRate,
    ],
  ] as const;
  console.log("");
  console.log(
    `mix over the judged phases: ${Object.entries(all.byKind)
      .map(([k, v]) => `${k} ${((v / Math.max(1, all.latencies.length)) * 100).toFixed(0)} %`)
      .join(", ")}`,
  );
  for (const [kind, xs] of Object.entries(all.kindLatencies)) {
    xs.sort((a, b) => a - b);
    console.log(
      `  ${kind}: p50 ${f1(pct(xs, 50))} ms, p95 ${f1(pct(xs, 95))} ms, p99 ${f1(pct(xs, 99))} ms`,
    );
  }
  for (const [text, ok] of verdicts) console.log(`${ok ? "PASS" : "FAIL"} ${text}`);
  failed = verdicts.some(([, ok]) => !ok);
} finally {
  if (!args.keep) {
    let gone = 0;
    for (const id of alive) {
      const r = await call("DELETE", `/api/v2/servers/${id}`, { headers: bearer }).catch(
        () => undefined,
      );
      if (r?.status === 204) gone++;
    }
    for (const k of keys)
      await call("DELETE", `/api/v2/api-keys/${k.id}`, { headers: bearer }).catch(() => undefined);
    console.log(`cleanup: deleted ${gone} servers, revoked ${keys.length} API keys`);
  }
}
process.exit(failed ? 1 : 0);
