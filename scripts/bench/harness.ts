/**
 * Benchmark harness (method: docs/benchmarks.md). Everything is served by workerd
 * through Miniflare's *direct sockets*: a workerd socket bound straight to the
 * Worker, without the entry worker Miniflare (and `wrangler dev`) put in front of
 * every request, which costs ~200 µs of CPU per request and would compress every
 * comparison toward 1. Each target runs in its own process, so the CPU it burns
 * during a load can be read from /proc and divided by the requests it answered.
 * Only 127.0.0.1 is ever loaded.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { basename } from "node:path";
import autocannon from "autocannon";
import { convertV4MiniflareOptions, Miniflare, NoOpLog } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

process.env.WRANGLER_SEND_METRICS ??= "false";

const HOST = "127.0.0.1";
const COMPATIBILITY_DATE = "2026-11-01";

/**
 * `wrangler deploy --dry-run` of the Worker (or of another entry with the same
 * config); returns the bundle's path. The benchmarks build `--env production`:
 * exactly what a deploy uploads.
 */
export function buildBundle(entry?: string, outdir = "dist", env = ""): string {
  execFileSync(
    "wrangler",
    ["deploy", "--dry-run", "--outdir", outdir, "--env", env, ...(entry ? [entry] : [])],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return entry ? `${outdir}/${basename(entry).replace(/\.ts$/, ".js")}` : `${outdir}/index.js`;
}

// ---------------------------------------------------------------- processes and CPU

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** utime + stime of a process (all its threads), in microseconds. */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks / CLOCK_TICKS) * 1e6;
}

/** Pids of workerd processes descended from this process. */
function workerdPids(): Set<number> {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const open = stat.indexOf("(");
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(open + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = parents.get(pid); p && p > 1; p = parents.get(p))
      if (p === process.pid) return true;
    return false;
  };
  return new Set([...names].filter(([pid, n]) => n === "workerd" && mine(pid)).map(([p]) => p));
}

/** Starts a Miniflare instance and returns it with the pid of the workerd it spawned. */
async function startMiniflare(options: Parameters<typeof convertV4MiniflareOptions>[0]) {
  const before = workerdPids();
  const mf = new Miniflare(convertV4MiniflareOptions(options));
  await mf.ready;
  const started = [...workerdPids()].filter((p) => !before.has(p));
  if (started.length !== 1) throw new Error(`expected one new workerd, found ${started.length}`);
  return { mf, pid: started[0]! };
}

export interface Target {
  name: string;
  /** Base URL of the direct socket (no trailing slash). */
  url: string;
  /** The process whose CPU is charged to this target. */
  pid: number;
  dispose(): Promise<void>;
}

const directSocket = [{ host: HOST, port: 0 }];
const directUrl = async (mf: Miniflare, name: string) =>
  (await mf.unsafeGetDirectURL(name)).toString().replace(/\/$/, "");

/**
 * A Worker bundle with wrangler.toml's bindings for `env` (in-memory D1, KV, Durable
 * Objects, queues), migrations applied. Secrets are random per run; `vars` override
 * configuration. `assets: false` leaves the static assets out: in production
 * Cloudflare's asset router answers them before the Worker runs, and no benchmark
 * requests one (the browser test needs them).
 */
export async function startApp(
  bundle: string,
  vars: Record<string, string> = {},
  {
    env = "",
    assets = true,
    inspectorPort,
  }: { env?: string; assets?: boolean; inspectorPort?: number } = {},
): Promise<Target & { mf: Miniflare }> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml", env);
  const { modulesRules: _rules, ...options } = workerOptions as typeof workerOptions & {
    modulesRules?: unknown;
    assets?: unknown;
  };
  const bindingsAndFlags = assets ? options : { ...options, assets: undefined };
  const secrets = {
    JWT_SECRET: randomBytes(32).toString("base64"),
    // Required by the public form; never verified here (no profile posts a submission).
    TURNSTILE_SECRET: `0x${randomBytes(16).toString("hex")}`,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    // Required by GET /metrics.
    METRICS_TOKEN: randomBytes(24).toString("base64url"),
  };
  const { mf, pid } = await startMiniflare({
    host: HOST,
    port: 0,
    log: new NoOpLog(),
    ...(inspectorPort !== undefined ? { inspectorPort } : {}),
    // Keep the Worker's logging cost (a console.log per request), drop the output.
    handleStructuredLogs: () => {},
    workers: [
      {
        ...bindingsAndFlags,
        name: "edgepanel",
        modules: true,
        scriptPath: bundle,
        bindings: { ...(workerOptions.bindings ?? {}), ...secrets, ...vars },
        unsafeDirectSockets: directSocket,
      },
    ],
  } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]);
  const db = await mf.getD1Database("DB");
  for (const file of readdirSync("migrations")
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    for (const stmt of readFileSync(`migrations/${file}`, "utf8").split(
      "--> statement-breakpoint",
    )) {
      if (stmt.trim()) await db.prepare(stmt).run();
    }
  }
  const url = await directUrl(mf, "edgepanel");
  return { name: "app", url, pid, mf, dispose: () => mf.dispose() };
}

/** A response exactly as it came off the wire: status, header lines, body bytes. */
export interface Captured {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

/**
 * Bare Workers (no bindings, none of our code), all in one workerd process of their
 * own, each on a direct socket: baselines such as the empty Worker or a body sink.
 */
export async function startScripts(scripts: Record<string, string>) {
  const workers = Object.entries(scripts).map(([name, script]) => ({
    name,
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    unsafeDirectSockets: directSocket,
  }));
  const { mf, pid } = await startMiniflare({
    host: HOST,
    port: 0,
    log: new NoOpLog(),
    handleStructuredLogs: () => {},
    workers,
  });
  const dispose = async () => {};
  const targets: Record<string, Target> = {};
  for (const name of Object.keys(scripts))
    targets[name] = { name, url: await directUrl(mf, name), pid, dispose };
  return { targets, dispose: () => mf.dispose() };
}

export const EMPTY_WORKER = 'export default { fetch() { return new Response("ok"); } };';

/**
 * The baselines: the empty Worker (`ok`, one header) and one bare replay Worker per
 * captured response, which answers every request with that response (status, every
 * header, body) and runs no code of ours.
 */
export async function startBaselines(replays: Record<string, Captured>) {
  const replayScript = (c: Captured) => `
const body = Uint8Array.from(atob(${JSON.stringify(c.body.toString("base64"))}), (ch) => ch.charCodeAt(0));
const headers = ${JSON.stringify(c.headers.filter(([k]) => k !== "content-length" && k !== "transfer-encoding"))};
export default { fetch() { return new Response(body, { status: ${c.status}, headers }); } };`;
  const { targets, dispose } = await startScripts({
    empty: EMPTY_WORKER,
    ...Object.fromEntries(
      Object.entries(replays).map(([name, c]) => [`replay-${name}`, replayScript(c)]),
    ),
  });
  const empty = targets.empty!;
  const replay: Record<string, Target> = {};
  for (const name of Object.keys(replays))
    replay[name] = { ...targets[`replay-${name}`]!, name: "replay" };
  return { empty, replay, dispose };
}

/** A Node peer server (scripts/bench/peers/*) in its own process; resolves once it listens. */
export async function startPeer(script: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...process.env, ...env, PORT: "0", HOST },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      const m = /listening on (\d+)/.exec(chunk.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  const dispose = async () => void child.kill();
  const target: Target = { name: "peer", url: `http://${HOST}:${port}`, pid: child.pid!, dispose };
  return { target, dispose };
}

// ---------------------------------------------------------------- requests

export interface RequestSpec {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * One raw HTTP request (node:http, not fetch: fetch would ask for gzip and decode
 * it, so the captured response would not be the one the loads receive).
 */
export function rawRequest(base: string, spec: RequestSpec): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}${spec.path}`,
      { method: spec.method ?? "GET", headers: spec.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const headers: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2)
            headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
          resolve({ status: res.statusCode!, headers, body: Buffer.concat(chunks) });
        });
      },
    );
    req.on("error", reject);
    req.end(spec.body);
  });
}

/** JSON request helper for fixtures; throws on a non-2xx answer. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: RequestSpec["method"],
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await rawRequest(base, {
    method,
    path,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.body}`);
  return (res.body.length ? JSON.parse(res.body.toString()) : {}) as T;
}

// ---------------------------------------------------------------- loads

export interface LoadSpec extends RequestSpec {
  /**
   * Per-request changes (a unique name, another key, another client address):
   * called for every request with a counter.
   */
  vary?: (n: number) => Partial<RequestSpec>;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  /** Responses by status code. */
  byStatus: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  /** workerd (or peer) CPU per answered request, µs. */
  cpuUs: number;
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
export const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** A bounded load (seconds) against one target; latencies from every response. */
// One sequence across every load of a run, so a per-request name is never reused.
let sequence = 0;
/** The next per-request number (also for requests sent outside a load). */
export const nextSequence = () => sequence++;

export async function load(
  target: Target,
  spec: LoadSpec,
  { connections = 16, duration = 5 }: { connections?: number; duration?: number } = {},
): Promise<LoadResult> {
  if (!target.url.startsWith(`http://${HOST}:`))
    throw new Error(`refusing to load a non-loopback URL: ${target.url}`);
  const vary = spec.vary;
  const instance = autocannon({
    url: `${target.url}${spec.path}`,
    connections,
    duration,
    method: spec.method ?? "GET",
    headers: spec.headers ?? {},
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(vary
      ? {
          requests: [
            {
              setupRequest: (req: Record<string, unknown>) => {
                const v = vary(nextSequence());
                return {
                  ...req,
                  ...v,
                  headers: { ...(req.headers as object), ...(v.headers ?? {}) },
                };
              },
            },
          ],
        }
      : {}),
  } as autocannon.Options) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  const times: number[] = [];
  const byStatus: Record<string, number> = {};
  instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
    times.push(ms);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  });
  const cpu0 = cpuMicros(target.pid);
  const r = await instance;
  // The load ends with requests still in the server (autocannon stops waiting for
  // them) and work deferred past responses (waitUntil). Both belong to this load, and
  // left running they would be charged to the next: wait until the process is quiet.
  await settle(target.pid);
  const cpu = cpuMicros(target.pid) - cpu0;
  // Every request sent was served (settled above), answered in time or not.
  const served = Math.max(times.length, (r.requests as { sent?: number }).sent ?? 0);
  times.sort((a, b) => a - b);
  return {
    requests: times.length,
    rps: times.length / duration,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    byStatus,
    errors: r.errors + r.timeouts,
    cpuUs: served ? cpu / served : 0,
  };
}

/** Waits (≤ 10 s) until `pid` uses under 2 % of a core over 100 ms. */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = cpuMicros(pid);
  while (Date.now() < deadline) {
    await new Promise((res) => setTimeout(res, 100));
    const now = cpuMicros(pid);
    if (now - last < 2_000) return;
    last = now;
  }
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
