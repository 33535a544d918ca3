/**
 * Adds lockfile entries for platform-specific optional dependencies that the
 * package registry reachable here does not serve (e.g. workerd's darwin/windows
 * builds). npm leaves them out of package-lock.json when it cannot fetch their
 * metadata, and `npm ci` then refuses the lockfile as "out of sync".
 *
 * Each added entry carries the platform's `os`/`cpu`, so `npm ci` skips it on
 * every machine it does not belong to. Run after any dependency change:
 *   npm run lockfile:fix
 */
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = [
  [/darwin-arm64|darwin-aarch64/, { os: ["darwin"], cpu: ["arm64"] }],
  [/darwin-(x)?64|darwin-x64/, { os: ["darwin"], cpu: ["x64"] }],
  [/(windows|win32)-arm64/, { os: ["win32"], cpu: ["arm64"] }],
  [/(windows|win32)-(x)?64/, { os: ["win32"], cpu: ["x64"] }],
];

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const added = [];
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const parent = path ? `${path}/node_modules/${name}` : `node_modules/${name}`;
    if (lock.packages[parent] || lock.packages[`node_modules/${name}`]) continue;
    const platform = PLATFORMS.find(([re]) => re.test(name))?.[1];
    if (!platform || !/^\d+\.\d+\.\d+/.test(version)) continue;
    lock.packages[`node_modules/${name}`] = {
      version,
      ...platform,
      dev: pkg.dev || undefined,
      optional: true,
    };
    added.push(`${name}@${version}`);
  }
}
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added lockfile entries: ${added.join(", ")}` : "lockfile complete");
