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

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the page loads Scalar from; must match `SCALAR_SCRIPT` in src/routes/docs/page.ts. */
export const SCALAR_ASSET = "docs/assets/scalar-api-reference.js";

/** The installed `@scalar/api-reference` package's directory and version. */
function scalarPackage(): { dir: string; version: string } {
  // The package's `exports` do not list its browser build; resolve the main entry
  // (dist/index.js) and walk up to the package root.
  const entry = createRequire(join(ROOT, "package.json")).resolve("@scalar/api-reference");
  let dir = dirname(entry);
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    version: string;
  };
  return { dir, version };
}

/** Copies Scalar's standalone script into `public/`; returns the copied file and version. */
export function copyDocsAssets(): { file: string; version: string; copied: boolean } {
  const { dir, version } = scalarPackage();
  const source = join(dir, "dist/browser/standalone.js");
  const target = join(ROOT, "public", SCALAR_ASSET);
  const same = existsSync(target) && readFileSync(target).equals(readFileSync(source));
  if (!same) {
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
  return { file: target, version, copied: !same };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { file, version, copied } = copyDocsAssets();
  console.log(`${copied ? "copied" : "up to date:"} @scalar/api-reference ${version} → ${file}`);
}
