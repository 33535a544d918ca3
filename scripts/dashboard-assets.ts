/**
 * Builds the admin dashboard's script and stylesheet (`GET /admin`) into `public/`,
 * the Workers Static Assets directory: src/dashboard/client/main.ts and everything it
 * imports (uPlot from the installed, lockfile-pinned package, its CSS, ours), bundled
 * and minified by esbuild. Nothing is fetched from a CDN at run time.
 *
 * Runs as part of wrangler's custom build (`[build]` in wrangler.toml), so `wrangler
 * dev` (`npm run dev`, which also rebuilds when src/ changes), `wrangler deploy` and
 * its dry run (`npm run build`, which the browser tests use) always serve the current
 * source. Writes only files whose bytes changed, so `wrangler dev` does not reload
 * for nothing.
 *
 *   node scripts/dashboard-assets.ts
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { DASHBOARD_ASSETS } from "../src/dashboard/assets.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "public", dirname(DASHBOARD_ASSETS.script));

const result = await build({
  entryPoints: [join(ROOT, "src/dashboard/client/main.ts")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome111", "firefox115", "safari16.4"],
  outdir: OUT,
  entryNames: "dashboard",
  write: false,
  legalComments: "none",
  logLevel: "warning",
});

for (const file of result.outputFiles) {
  const path = file.path;
  const unchanged = existsSync(path) && readFileSync(path).equals(Buffer.from(file.contents));
  if (!unchanged) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.contents);
  }
  console.log(
    `${unchanged ? "up to date" : "built"}: ${relative(ROOT, path)} (${file.contents.byteLength} bytes)`,
  );
}
