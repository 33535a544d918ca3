/**
 * `npm run dev`: apply migrations to the local D1, seed demo data, start `wrangler dev`.
 * Everything is local (Miniflare); no Cloudflare account or network is needed.
 *
 *   npm run dev                   # http://localhost:8787 (or the next free port, as wrangler does)
 *   npm run dev -- --port 8899    # any other wrangler dev flag passes through too
 *
 * The port is settled here, before seeding, and handed to wrangler explicitly: the demo
 * servers' health checks and the CORS origins then name the port the server really
 * listens on (left to itself, wrangler moves to 8788 when 8787 is taken).
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

/** wrangler dev's default port; when it is taken wrangler tries the next ten. */
export const DEFAULT_DEV_PORT = 8787;
const PORTS_TO_PROBE = 10;

/** `--port N` / `--port=N` from wrangler dev arguments, or undefined. */
export function portArgument(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const m = /^--port(?:=(.*))?$/.exec(args[i]!);
    if (!m) continue;
    const value = Number(m[1] ?? args[i + 1]);
    if (!Number.isInteger(value) || value < 1 || value > 65_535)
      throw new Error(`--port must be a port number, got ${m[1] ?? args[i + 1]}`);
    return value;
  }
  return undefined;
}

/** `port` of wrangler.toml's top-level `[dev]` table, or undefined. */
export function configuredPort(toml: string): number | undefined {
  const dev = /^\[dev\][^\n]*\n([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1];
  const port = dev && /^\s*port\s*=\s*(\d+)/m.exec(dev)?.[1];
  return port ? Number(port) : undefined;
}

const isFree = (port: number, host: string) =>
  new Promise<boolean>((resolve) => {
    const server = createServer()
      .once("error", () => resolve(false))
      .listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });

/** The first port from `start` that nothing listens on, probing as wrangler does. */
export async function firstFreePort(start: number, host = "localhost"): Promise<number> {
  for (let port = start; port <= start + PORTS_TO_PROBE; port++)
    if (await isFree(port, host)) return port;
  throw new Error(`ports ${start}–${start + PORTS_TO_PROBE} are all taken; pass --port`);
}

/** The browser origins of a local dev server on `port`. */
export const devOrigins = (port: number) => `http://localhost:${port},http://127.0.0.1:${port}`;

/** True when `name` is set in .dev.vars (wrangler's own file), which must win over our default. */
function setInDevVars(name: string): boolean {
  if (!existsSync(".dev.vars")) return false;
  return new RegExp(`^\\s*${name}\\s*=`, "m").test(readFileSync(".dev.vars", "utf8"));
}

async function main() {
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const args = process.argv.slice(2);
  const explicit = portArgument(args) ?? configuredPort(readFileSync("wrangler.toml", "utf8"));
  const port = explicit ?? (await firstFreePort(DEFAULT_DEV_PORT));
  const passThrough = portArgument(args) === undefined ? ["--port", String(port), ...args] : args;
  // --var overrides .dev.vars in wrangler, so only the default origins are replaced.
  const corsVar =
    setInDevVars("CORS_ORIGINS") || args.some((a) => a.startsWith("CORS_ORIGINS:"))
      ? []
      : ["--var", `CORS_ORIGINS:${devOrigins(port)}`];

  // CI=true makes wrangler apply migrations without its interactive "continue?" prompt:
  // local migrations are always safe to apply, and the README promises no manual step.
  execFileSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], {
    stdio: "inherit",
    env: { ...process.env, CI: "true" },
  });
  execFileSync(process.execPath, ["scripts/seed.ts", "--port", String(port)], {
    stdio: "inherit",
  });

  // --test-scheduled exposes /__scheduled?cron=… so every cron can be triggered with curl.
  // --var last: it takes a list, and would swallow a positional argument after it.
  const child = spawn("wrangler", ["dev", "--test-scheduled", ...passThrough, ...corsVar], {
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
  child.on("exit", (code) => process.exit(code ?? 0));
}

if (import.meta.main) await main();
