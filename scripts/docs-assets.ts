/**
 * Copies the files the API reference page (`GET /docs`) loads into `public/`, the
 * Workers Static Assets directory (`[assets]` in wrangler.toml): Scalar's standalone
 * bundle from the installed `@scalar/api-reference`, so its version is the one
 * package-lock.json pins and nothing is fetched from a CDN at run time.
 *
 * Runs as wrangler's custom build (`[build]` in wrangler.toml), so `wrangler dev`
 * (`npm run dev`), `wrangler deploy` and its dry run (`npm run build`, which the
 * browser test uses) always serve the installed version. Copies only when the file
 * changed, so `wrangler dev` does not reload for nothing.
 *
 *   node scripts/docs-assets.ts
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SCALAR_SCRIPT } from "../src/routes/docs/page.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

// The package's `exports` do not list its browser build: resolve the main entry
// (dist/index.js) and walk up to the package root.
let pkg = dirname(createRequire(join(ROOT, "package.json")).resolve("@scalar/api-reference"));
while (!existsSync(join(pkg, "package.json"))) pkg = dirname(pkg);
const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as {
  version: string;
};

const source = join(pkg, "dist/browser/standalone.js");
const target = join(ROOT, "public", SCALAR_SCRIPT);
if (existsSync(target) && readFileSync(target).equals(readFileSync(source))) {
  console.log(`up to date: @scalar/api-reference ${version} → ${target}`);
} else {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
  console.log(`copied @scalar/api-reference ${version} → ${target}`);
}
