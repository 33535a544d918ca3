/**
 * `npm run dev`: apply migrations to the local D1, seed demo data, start `wrangler dev`.
 * Everything is local (Miniflare); no Cloudflare account or network is needed.
 */
import { execFileSync, spawn } from "node:child_process";

process.env.WRANGLER_SEND_METRICS ??= "false";
// CI=true makes wrangler apply migrations without its interactive "continue?" prompt:
// local migrations are always safe to apply, and the README promises no manual step.
const run = (args: string[]) =>
  execFileSync("wrangler", args, { stdio: "inherit", env: { ...process.env, CI: "true" } });

run(["d1", "migrations", "apply", "DB", "--local"]);
execFileSync(process.execPath, ["scripts/seed.ts"], { stdio: "inherit" });

// --test-scheduled exposes /__scheduled?cron=… so every cron can be triggered with curl.
const child = spawn("wrangler", ["dev", "--test-scheduled", ...process.argv.slice(2)], {
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
