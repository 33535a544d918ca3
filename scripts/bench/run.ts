/**
 * `npm run bench`: the one benchmark harness (method and results: docs/benchmarks.md).
 *
 *   npm run bench                              # the default profiles below
 *   npm run bench -- --profile cached,live     # some profiles (or --profile X --profile Y)
 *   npm run bench -- --profile auth            # a capability's own profile
 *   npm run bench -- --write                   # also append the table to docs/benchmarks.md
 *   options: --duration S (5)  --rounds N (3)  --connections 16,64 (16)
 *            --var NAME=VALUE (a Worker var for the app, repeatable)
 *            --compare REF (the product at another git commit, built and loaded beside
 *            the working tree's for every request of the chosen profiles; repeatable)
 *
 * Every profile's loads run against the production bundle; each round also loads the
 * empty Worker, and for each profile a bare Worker replaying the product's own
 * response to that request (captured at start). Rounds interleave every load, order
 * rotated; the table quotes medians of rounds.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ADMIN, type Fixture, fixture, LIST, serverBody } from "./fixture.ts";
import {
  api,
  buildBundle,
  type Captured,
  cpuMicros,
  fmt,
  type LoadResult,
  type LoadSpec,
  load,
  median,
  nextSequence,
  rawRequest,
  startApp,
  startBaselines,
  startPeer,
  type Target,
} from "./harness.ts";

const { values: args } = parseArgs({
  options: {
    profile: { type: "string", multiple: true },
    duration: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    var: { type: "string", multiple: true },
    write: { type: "boolean", default: false },
    compare: { type: "string", multiple: true },
  },
});
const DURATION = Number(args.duration);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = args.connections!.split(",").map(Number);

// ---------------------------------------------------------------- fixture

// ---------------------------------------------------------------- profiles

/** One load of a profile: a request against the product (`app`, or the `off` instance). */
interface Measured {
  name: string;
  spec: LoadSpec;
  app?: "app" | "off" | "chain" | "writes" | "nometrics";
  /** Also load a bare Worker replaying this request's response (default true). */
  replay?: boolean;
  /** Also load the Fastify peer with the same request. */
  peer?: boolean;
  /** Requests sent before the response is captured (default 3). */
  warm?: number;
}

const keyAt = (f: Fixture, n: number) => ({ "x-api-key": f.keys[n % f.keys.length]! });
const json = { "content-type": "application/json" };
// A documentation address per request (RFC 5737), so per-IP limits never trip.
const addressOf = (n: number) => `198.18.${(n >> 8) & 255}.${n & 255}`;

/** Each profile's loads, given the fixtures of the app and of the other instance it uses. */
const PROFILES: Record<
  string,
  (
    f: Fixture,
    other: { off: Fixture; chain: Fixture; writes: Fixture; nometrics: Fixture },
  ) => Measured[]
> = {
  /** A warm cached, key-authenticated list (the isolate cache after one miss). */
  cached: (f) => [
    {
      name: "cached read",
      spec: { path: LIST, headers: keyAt(f, 0), vary: (n) => ({ headers: keyAt(f, n) }) },
      peer: true,
    },
  ],
  /** The same list with `Cache-Control: no-cache`: skips the cache, one D1 query. */
  uncached: (f) => [
    {
      name: "uncached read",
      spec: {
        path: LIST,
        headers: { ...keyAt(f, 0), "cache-control": "no-cache" },
        vary: (n) => ({ headers: { ...keyAt(f, n), "cache-control": "no-cache" } }),
      },
    },
  ],
  /** Liveness: the global middleware and a constant answer. */
  live: () => [{ name: "/health/live", spec: { path: "/health/live" } }],
  /**
   * Server creates, a unique name each: one D1 batch with its audit entry. Writes run
   * on an instance of their own: the audit chain is sealed in the background after
   * them, and that work would otherwise be charged to the reads loaded next.
   */
  create: (_, { writes: f }) => [
    {
      name: "create",
      app: "writes",
      spec: {
        method: "POST",
        path: "/api/v2/servers",
        headers: { ...json, ...keyAt(f, 0) },
        body: JSON.stringify(serverBody(`load-${process.pid}-first`)),
        vary: (n) => ({
          headers: { ...json, ...keyAt(f, n) },
          body: JSON.stringify(serverBody(`load-${process.pid}-${n}`)),
        }),
      },
    },
  ],
  /** PATCH of a server's port, spread over the fixture's servers. */
  update: (_, { writes: f }) => [
    {
      name: "update",
      app: "writes",
      spec: {
        method: "PATCH",
        path: `/api/v2/servers/${f.serverIds[0]}`,
        headers: { ...json, ...keyAt(f, 0) },
        body: JSON.stringify({ port: 8000 }),
        vary: (n) => ({
          path: `/api/v2/servers/${f.serverIds[n % f.serverIds.length]}`,
          headers: { ...json, ...keyAt(f, n) },
          body: JSON.stringify({ port: 8000 + (n % 1000) }),
        }),
      },
    },
  ],
  /** Password sign-in (one PBKDF2 and the brute-force counters), a new address each time. */
  login: () => [
    {
      name: "login",
      spec: {
        method: "POST",
        path: "/api/v2/auth/login",
        headers: { ...json, "cf-connecting-ip": addressOf(0) },
        body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
        vary: (n) => ({ headers: { ...json, "cf-connecting-ip": addressOf(n + 1) } }),
      },
    },
  ],
  /**
   * A malformed API key from one address: the first 30 are 401s counted in the
   * address's limiter object, then the isolate refuses the address (429) without a
   * Durable Object call — the steady state of someone guessing keys.
   */
  authfail: () => [
    {
      name: "key auth failure",
      spec: {
        path: LIST,
        headers: {
          "x-api-key": "ep_live_notAValidKeyAtAll0000000000000",
          "cf-connecting-ip": "203.0.113.9",
        },
      },
      // Past the policy's 30 failures, so the replay is the steady state's 429.
      warm: 40,
    },
  ],
  /**
   * What authentication costs: the same request (`/api/v2/__bench`: the whole chain,
   * ending in a 404 problem) without credentials, with an API key (isolate cache hit)
   * and with an access token (HS256 verify, cached user and session lookups). On the
   * RATE_LIMITING=off instance, so the limits of anonymous callers and users do not
   * trip and the three differ in authentication only.
   */
  auth: (_, { off: o }) => [
    { name: "anonymous", app: "off", spec: { path: "/api/v2/__bench" }, replay: false },
    {
      name: "API key",
      app: "off",
      spec: { path: "/api/v2/__bench", vary: (n) => ({ headers: keyAt(o, n) }) },
      replay: false,
    },
    {
      name: "JWT",
      app: "off",
      spec: { path: "/api/v2/__bench", headers: { authorization: `Bearer ${o.token}` } },
      replay: false,
    },
  ],
  /** The rate limiter's cost: the cached read against an instance with RATE_LIMITING=off. */
  ratelimit: (f, { off: o }) => [
    {
      name: "cached read, limiter on",
      spec: { path: LIST, vary: (n) => ({ headers: keyAt(f, n) }) },
      replay: false,
    },
    {
      name: "cached read, limiter off",
      app: "off",
      spec: { path: LIST, vary: (n) => ({ headers: keyAt(o, n) }) },
      replay: false,
    },
  ],
  /**
   * What recording metrics costs: the cached read against an instance with
   * METRICS_ENABLED=false, in the same rounds (docs/benchmarks.md, "Metrics").
   */
  metrics: (f, { nometrics: o }) => [
    {
      name: "cached read, metrics on",
      spec: { path: LIST, vary: (n) => ({ headers: keyAt(f, n) }) },
      replay: false,
    },
    {
      name: "cached read, metrics off",
      app: "nometrics",
      spec: { path: LIST, vary: (n) => ({ headers: keyAt(o, n) }) },
      replay: false,
    },
  ],
  /**
   * Where the cached read's CPU goes: the global chain cut after each middleware
   * (scripts/bench/chain-entry.ts), then the Worker itself; and /health/live.
   */
  breakdown: (_, { chain: o }) => [
    ...CHAIN_NAMES.map((name, k) => ({
      name: k === 0 ? "no middleware" : `+ ${name}`,
      app: "chain" as const,
      spec: {
        path: LIST,
        headers: { ...keyAt(o, 0), "x-bench-chain": String(k) },
        vary: (n: number) => ({ headers: { ...keyAt(o, n), "x-bench-chain": String(k) } }),
      },
      replay: false,
    })),
    {
      name: "the Worker (cached read)",
      app: "chain",
      spec: { path: LIST, vary: (n) => ({ headers: keyAt(o, n) }) },
    },
  ],
};
/** Labels of the chain cuts in scripts/bench/chain-entry.ts (its CHAIN, in order). */
const CHAIN_NAMES = [
  "",
  "requestContext",
  "accessLog",
  "serverTiming",
  "config",
  "d1Session",
  "cors",
  "ipRules",
  "methodNotAllowed",
  "bodyLimit",
  "requireJsonBody",
  "requestTimeout",
  "compression",
  "authenticate",
  "rateLimit",
  "concurrencyLimit",
];
// The per-capability profiles of earlier harnesses, by their old names.
const ALIASES: Record<string, string[]> = {
  cache: ["cached", "uncached"],
  servers: ["uncached", "create", "update"],
};
const DEFAULT = ["cached", "uncached", "live", "create", "update", "login", "authfail"];

const requested = (args.profile ?? DEFAULT).flatMap((p) => p.split(","));
const profiles = [...new Set(requested.flatMap((p) => ALIASES[p] ?? [p]))];
for (const p of profiles)
  if (!PROFILES[p])
    throw new Error(
      `unknown profile ${p}; known: ${[...Object.keys(PROFILES), ...Object.keys(ALIASES)].join(", ")}`,
    );

/**
 * The limiter's exactness: one identity hammered by 64 connections for 5 s, with an
 * exact limit (400/min, below the lease threshold: one object call per request) and
 * a high one (1,000/min, served from in-isolate leases). Exactly the limit is admitted.
 */
async function accuracy(): Promise<string[]> {
  const out = [
    "| limit | 64 connections × 5 s on one key | attempts | admitted (2xx) | refused (429) | other |",
    "|---|---|---|---|---|---|",
  ];
  for (const limit of [400, 1000]) {
    const f = await adminHeaders(app.url);
    const body = {
      name: `limited-${limit}`,
      scopes: ["servers:read"],
      rate_limit_per_minute: limit,
    };
    const { key } = await api<{ key: string }>(app.url, "POST", "/api/v2/api-keys", body, f);
    const r = await load(
      app,
      { path: "/api/v2/auth/me", headers: { "x-api-key": key } },
      { connections: 64, duration: 5 },
    );
    const ok = Object.entries(r.byStatus)
      .filter(([s]) => s.startsWith("2"))
      .reduce((a, [, n]) => a + n, 0);
    const refused = r.byStatus["429"] ?? 0;
    out.push(
      `| ${limit}/min | ${limit < 500 ? "exact" : "leases"} | ${fmt(r.requests)} | **${fmt(ok)}** | ${fmt(refused)} | ${r.requests - ok - refused + r.errors} |`,
    );
  }
  return out;
}

/**
 * The production bundle of the product at git `ref` (built once into dist/bench/at-<sha>
 * from `git archive`, with this checkout's node_modules).
 */
function bundleAt(ref: string): { sha: string; bundle: string } {
  const sha = execFileSync("git", ["rev-parse", "--short", ref]).toString().trim();
  const dir = resolve(`dist/bench/at-${sha}`);
  if (!existsSync(`${dir}/out/index.js`)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync("sh", ["-c", `git archive ${sha} | tar -x -C "${dir}"`]);
    symlinkSync(resolve("node_modules"), `${dir}/node_modules`);
    execFileSync(
      resolve("node_modules/.bin/wrangler"),
      ["deploy", "--dry-run", "--outdir", "out", "--env", "production"],
      { cwd: dir, stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  return { sha, bundle: `${dir}/out/index.js` };
}

// ---------------------------------------------------------------- run

const vars = Object.fromEntries((args.var ?? []).map((v) => v.split(/=(.*)/s).slice(0, 2)));
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"]).toString().trim();
const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"]).toString().trim() !== "";

console.error("building the production bundle…");
const bundle = buildBundle(undefined, "dist/bench", "production");
// Creates add thousands of servers to one owner: lift the per-owner quota.
const appVars = { MAX_SERVERS_PER_OWNER: "1000000", ...vars };
const production = { env: "production", assets: false };
const app = await startApp(bundle, appVars, production);
const off = profiles.some((p) => p === "ratelimit" || p === "auth")
  ? await startApp(bundle, { ...appVars, RATE_LIMITING: "off" }, production)
  : undefined;
const nometrics = profiles.includes("metrics")
  ? await startApp(bundle, { ...appVars, METRICS_ENABLED: "false" }, production)
  : undefined;
let adminHeaders: (url: string) => Promise<Record<string, string>>;
const writes = profiles.some((p) => p === "create" || p === "update")
  ? await startApp(bundle, appVars, production)
  : undefined;
const chain = profiles.includes("breakdown")
  ? await startApp(
      buildBundle("scripts/bench/chain-entry.ts", "dist/bench/chain", "production"),
      appVars,
      production,
    )
  : undefined;
const compared: { sha: string; app: Target }[] = [];
for (const ref of args.compare ?? []) {
  console.error(`building the production bundle at ${ref}…`);
  const { sha, bundle: at } = bundleAt(ref);
  compared.push({ sha, app: await startApp(at, appVars, production) });
}
const disposers: (() => unknown)[] = [
  app.dispose,
  ...(off ? [off.dispose] : []),
  ...(chain ? [chain.dispose] : []),
  ...(writes ? [writes.dispose] : []),
  ...(nometrics ? [nometrics.dispose] : []),
  ...compared.map((x) => x.app.dispose),
];
try {
  console.error("seeding…");
  const f = await fixture(app.url);
  adminHeaders = async () => ({ authorization: `Bearer ${f.token}` });
  // The same user, keys and servers on the second instance, so the loads match.
  const others = {
    off: off ? await fixture(off.url) : f,
    chain: chain ? await fixture(chain.url) : f,
    writes: writes ? await fixture(writes.url) : f,
    nometrics: nometrics ? await fixture(nometrics.url) : f,
  };
  const measured = profiles.flatMap((p) => PROFILES[p]!(f, others));
  // The same requests against each compared commit (its own fixture: its keys).
  const comparedLoads = new Map<string, { label: string; target: Target; spec: LoadSpec }[]>();
  for (const { sha, app: at } of compared) {
    const g = await fixture(at.url);
    for (const m of profiles.flatMap((p) =>
      PROFILES[p]!(g, { off: g, chain: g, writes: g, nometrics: g }),
    )) {
      if (m.app) continue;
      for (let i = 0; i < (m.warm ?? 3); i++)
        await rawRequest(at.url, { ...m.spec, ...(m.spec.vary?.(nextSequence()) ?? {}) });
      const list = comparedLoads.get(m.name) ?? [];
      list.push({ label: `  at ${sha}`, target: at, spec: m.spec });
      comparedLoads.set(m.name, list);
    }
  }
  const appTarget = (m: Measured): Target =>
    m.app === "off"
      ? off!
      : m.app === "chain"
        ? chain!
        : m.app === "writes"
          ? writes!
          : m.app === "nometrics"
            ? nometrics!
            : app;
  const first = (m: Measured) => {
    const v = m.spec.vary?.(nextSequence()) ?? {};
    return { ...m.spec, ...v, headers: { ...m.spec.headers, ...v.headers } };
  };

  // Warm every request once (caches, JIT, leases), then capture the responses to replay.
  for (const m of measured)
    for (let i = 0; i < (m.warm ?? 3); i++) await rawRequest(appTarget(m).url, first(m));
  const captured: Record<string, Captured> = {};
  for (const m of measured)
    if (m.replay !== false) captured[m.name] = await rawRequest(appTarget(m).url, first(m));
  for (const [name, c] of Object.entries(captured))
    console.error(
      `captured ${name}: ${c.status}, ${c.headers.length} headers, ${c.body.length} bytes`,
    );
  const baselines = await startBaselines(captured);
  disposers.push(baselines.dispose);

  let peer: Target | undefined;
  const peerOf = measured.find((m) => m.peer);
  if (peerOf) {
    mkdirSync("dist/bench", { recursive: true });
    const file = "dist/bench/peer-response.json";
    const c = captured[peerOf.name]!;
    const { createHash } = await import("node:crypto");
    writeFileSync(
      file,
      JSON.stringify({
        path: LIST,
        keyHashes: f.keys.map((k) => createHash("sha256").update(k).digest("hex")),
        limit: 100_000,
        headers: c.headers,
        body: c.body.toString("base64"),
      }),
    );
    const started = await startPeer("scripts/bench/peers/fastify.ts", { PEER_RESPONSE: file });
    peer = started.target;
    disposers.push(started.dispose);
    const check = await rawRequest(peer.url, first(peerOf));
    if (check.status !== 200 || !check.body.equals(c.body))
      throw new Error(`the peer's answer differs from the Worker's (${check.status})`);
  }

  // Every load of the run: [label, target, spec].
  type Row = { label: string; group: string; target: Target; spec: LoadSpec };
  const rows: Row[] = [
    { label: "empty Worker", group: "", target: baselines.empty, spec: { path: "/" } },
  ];
  for (const m of measured) {
    rows.push({ label: m.name, group: m.name, target: appTarget(m), spec: m.spec });
    for (const c of comparedLoads.get(m.name) ?? []) rows.push({ ...c, group: m.name });
    if (m.replay !== false)
      rows.push({
        label: `  replay of ${m.name}`,
        group: m.name,
        target: baselines.replay[m.name]!,
        spec: m.spec,
      });
    if (m.peer && peer)
      rows.push({ label: `  Fastify peer`, group: m.name, target: peer, spec: m.spec });
  }

  console.error(`warm-up: ${rows.length} loads × 1 s`);
  for (const r of rows) await load(r.target, r.spec, { connections: 16, duration: 1 });
  // Work a process does on its own (timers, queues, background writes) would be
  // charged to the requests of its loads: say so when there is any.
  const pids = new Map(rows.map((r) => [r.target.pid, r.target.name]));
  const before = new Map([...pids.keys()].map((pid) => [pid, cpuMicros(pid)]));
  await new Promise((r) => setTimeout(r, 2_000));
  const idle = [...pids].map(
    ([pid, name]) =>
      `${name} (pid ${pid}) ${fmt((cpuMicros(pid) - before.get(pid)!) / 2_000)} ms/s`,
  );
  console.error(`CPU while idle (2 s): ${idle.join(", ")}`);

  const results = new Map<string, LoadResult[]>();
  // By position: labels repeat across profiles (every compared commit is "at <sha>").
  const keyOf = (r: Row, c: number) => `${rows.indexOf(r)}@${c}`;
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CONNECTIONS) {
      // Rotate the order each round so no load always runs first or last.
      const order = rows.map((_, i) => rows[(i + round * 3) % rows.length]!);
      for (const r of order) {
        const res = await load(r.target, r.spec, { connections: c, duration: DURATION });
        const k = keyOf(r, c);
        results.set(k, [...(results.get(k) ?? []), res]);
        console.error(
          `round ${round + 1}/${ROUNDS} @${c} ${r.label.trim()}: ${fmt(res.rps)} req/s, ${fmt(res.cpuUs)} µs CPU/req`,
        );
      }
    }
  }

  // ------------------------------------------------------------ report
  const lines: string[] = [];
  lines.push(
    `${ROUNDS} interleaved rounds × ${DURATION} s per load, medians of rounds; CPU = workerd (or peer) utime+stime ÷ requests sent. Bundle: \`wrangler deploy --dry-run --env production\` at ${commit}${dirty ? " + uncommitted src changes" : ""}.`,
    "",
  );
  for (const c of CONNECTIONS) {
    lines.push(
      `| load @${c} | req/s | × empty | CPU µs/req (range) | CPU × replay | p50 ms | p95 ms | p99 ms | p99/p50 | responses |`,
      "|---|---|---|---|---|---|---|---|---|---|",
    );
    const emptyRuns = results.get(keyOf(rows[0]!, c))!;
    for (const r of rows) {
      const runs = results.get(keyOf(r, c))!;
      const m = (k: "rps" | "p50" | "p95" | "p99" | "cpuUs") => median(runs.map((x) => x[k]));
      const ratio = median(runs.map((x, i) => x.rps / emptyRuns[i]!.rps));
      const cpus = runs.map((x) => x.cpuUs);
      const replayRow = rows.find((x) => x.group === r.group && x.label.includes("replay"));
      const vsReplay =
        replayRow && replayRow !== r && !r.label.includes("peer")
          ? fmt(m("cpuUs") / median(results.get(keyOf(replayRow, c))!.map((x) => x.cpuUs)), 2)
          : "";
      const statuses: Record<string, number> = {};
      let errors = 0;
      for (const x of runs) {
        errors += x.errors;
        for (const [s, n] of Object.entries(x.byStatus)) statuses[s] = (statuses[s] ?? 0) + n;
      }
      const responses = [
        ...Object.entries(statuses).map(([s, n]) => `${fmt(n)} × ${s}`),
        ...(errors ? [`${errors} errors`] : []),
      ].join(", ");
      const label = r.label.startsWith("  ") ? `↳ ${r.label.trim()}` : `**${r.label}**`;
      lines.push(
        `| ${label} | ${fmt(m("rps"))} | ${fmt(ratio, 2)} | **${fmt(m("cpuUs"))}** (${fmt(Math.min(...cpus))}–${fmt(Math.max(...cpus))}) | ${vsReplay} | ${fmt(m("p50"), 2)} | ${fmt(m("p95"), 2)} | ${fmt(m("p99"), 2)} | ${fmt(m("p99") / m("p50"), 2)} | ${responses} |`,
      );
    }
    lines.push("");
  }
  if (profiles.includes("ratelimit")) lines.push(...(await accuracy()), "");
  const table = lines.join("\n");
  console.log(table);
  if (args.write) {
    const date = new Date().toISOString().slice(0, 10);
    const cmd = `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim();
    appendFileSync(
      "docs/benchmarks.md",
      `\n### Run of ${date}, commit ${commit}${dirty ? " (+ uncommitted changes)" : ""}\n\n\`${cmd}\` — profiles: ${profiles.join(", ")}.\n\n${table}`,
    );
    console.error("appended to docs/benchmarks.md");
  }
} finally {
  for (const d of disposers.reverse()) await d();
}
