/**
 * Benchmark harness (see "How we measure performance" in docs/benchmarks.md):
 * the production bundle (`wrangler deploy --dry-run --outdir dist`) runs under
 * Miniflare's API with the bindings wrangler.toml declares, next to an empty
 * Worker on the same machine; loads are interleaved A B A B and reported as
 * medians and ratios to the empty Worker. Only 127.0.0.1 is ever targeted.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import autocannon from "autocannon";
import { convertV4MiniflareOptions, Miniflare, NoOpLog } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

process.env.WRANGLER_SEND_METRICS ??= "false";

/**
 * `wrangler deploy --dry-run` of the Worker (or of another entry with the same
 * config, e.g. a benchmark fixture); returns the bundle's path.
 */
export function buildBundle(entry?: string, outdir = "dist"): string {
  execFileSync(
    "wrangler",
    ["deploy", "--dry-run", "--outdir", outdir, "--env", "", ...(entry ? [entry] : [])],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return entry ? `${outdir}/${basename(entry).replace(/\.ts$/, ".js")}` : `${outdir}/index.js`;
}

export interface Target {
  name: string;
  url: string;
  dispose(): Promise<void>;
}

/** The real Worker bundle with wrangler.toml's bindings (in-memory storage), migrations applied. */
export async function startApp(
  bundle: string,
  vars: Record<string, string> = {},
): Promise<Target & { mf: Miniflare }> {
  const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.toml", "");
  // The bundle is already built: module rules (for unbundled sources) do not apply.
  const { modulesRules: _rules, ...bindingsAndFlags } = workerOptions as typeof workerOptions & {
    modulesRules?: unknown;
  };
  // wrangler hands us Miniflare v4-style options; Miniflare 5 converts them.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new NoOpLog(),
      // Keep the Worker's logging cost (console.log per request), drop the output.
      handleStructuredLogs: () => {},
      workers: [
        {
          ...bindingsAndFlags,
          name: "edgepanel",
          modules: true,
          scriptPath: bundle,
          bindings: { ...(workerOptions.bindings ?? {}), ...vars },
        },
      ],
    } as unknown as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
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
  return { name: "app", url, mf, dispose: () => mf.dispose() };
}

/** The baseline: a Worker that answers "ok" and does nothing else. */
export async function startEmpty(): Promise<Target> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      log: new NoOpLog(),
      workers: [
        {
          name: "empty",
          modules: true,
          script: 'export default { fetch() { return new Response("ok"); } };',
          compatibilityDate: "2026-11-01",
        },
      ],
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { name: "empty", url, dispose: () => mf.dispose() };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Responses by status code (2xx included). */
  byStatus: Record<string, number>;
  /** Exact counts over the whole run. */
  total: number;
  ok2xx: number;
}

/** A bounded load (duration in seconds) against one URL on 127.0.0.1. */
export async function load(
  url: string,
  {
    connections = 16,
    duration = 5,
    headers = {},
    method = "GET",
    body,
  }: {
    connections?: number;
    duration?: number;
    headers?: Record<string, string>;
    method?: "GET" | "POST";
    /** A fixed body, or a function called per request (e.g. unique names for POSTs). */
    body?: string | (() => string);
  } = {},
): Promise<LoadResult> {
  if (!/^http:\/\/127\.0\.0\.1:\d+/.test(url))
    throw new Error(`refusing to load a non-loopback URL: ${url}`);
  const dynamic = typeof body === "function" ? body : undefined;
  const r = await autocannon({
    url,
    connections,
    duration,
    headers,
    method,
    ...(typeof body === "string" ? { body } : {}),
    ...(dynamic
      ? { requests: [{ setupRequest: (req: object) => ({ ...req, body: dynamic() }) }] }
      : {}),
  });
  return {
    total: r.requests.total,
    ok2xx: r["2xx"],
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    byStatus: Object.fromEntries(
      Object.entries(
        (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ??
          {},
      ).map(([code, { count }]) => [code, count]),
    ),
  };
}

/**
 * Sequential request latency measured in this process (sub-millisecond
 * resolution, unlike autocannon's histogram): `n` requests on one keep-alive
 * connection, returning every sample in milliseconds.
 */
export async function latencies(
  url: string,
  n: number,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    out.push(performance.now() - t0);
  }
  return out;
}

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
export const median = (xs: number[]) => percentile(xs, 50);
export const fmt = (n: number, digits = 3) => n.toFixed(digits);

/**
 * The usual benchmark fixture: a registered user (the first, so admin), an API key
 * with `keyBody`, and `servers` servers owned by that user. Returns what requests need.
 */
export async function benchUser(
  url: string,
  { keyBody = {}, servers = 0 }: { keyBody?: Record<string, unknown>; servers?: number } = {},
): Promise<{ token: string; key: string; headers: Record<string, string> }> {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
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
  const token = session.access_token!;
  const key = (
    await post(
      "/api/v2/api-keys",
      { name: "bench", scopes: ["servers:read", "servers:write"], ...keyBody },
      { authorization: `Bearer ${token}` },
    )
  ).key!;
  const headers = { "x-api-key": key };
  for (let i = 0; i < servers; i++) {
    await post(
      "/api/v2/servers",
      {
        name: `seed-${i}`,
        host: `seed-${i}.example.com`,
        port: 443,
        environment: "production",
        tags: ["bench"],
      },
      headers,
    );
  }
  return { token, key, headers };
}
