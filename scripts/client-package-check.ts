/**
 * Proves @edgepanel/client works for someone outside this repository:
 *
 * 1. `npm pack` the workspace package (its prepack builds dist/ with tsc);
 * 2. checks the tarball: dist/ JavaScript + .d.ts, no sources, and declarations that
 *    import only their own files and the package's dependencies (never the server);
 * 3. installs the tarball into a scratch project in the system temp directory;
 * 4. type-checks packages/client/test/consumer.ts there (NodeNext and bundler
 *    resolution, no skipLibCheck, no Node types) and runs it with Node.js.
 *
 * Offline by default: the package's dependencies are packed from this repo's
 * node_modules and installed from those tarballs, as the registry would serve them.
 * `--online` installs them from the registry instead, as a user's `npm install` does.
 *
 *   npm run client:check [-- --online] [-- --keep]
 */
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const pkgDir = join(root, "packages/client");
const online = process.argv.includes("--online");
const keep = process.argv.includes("--keep");
const scratch = mkdtempSync(join(tmpdir(), "edgepanel-client-check-"));
const tsc = join(root, "node_modules/.bin/tsc");

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
const step = (what: string) => console.log(`\n== ${what}`);
let failures = 0;
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? "ok" : "FAIL"} - ${what}`);
  if (!ok) failures++;
};

try {
  step("npm pack @edgepanel/client");
  const [packed] = JSON.parse(
    run("npm", ["pack", "--json", "--pack-destination", scratch], pkgDir),
  ) as [{ filename: string; files: { path: string }[] }];
  const tarball = join(scratch, packed.filename);
  const files = packed.files.map((f) => f.path).sort();
  console.log(`${packed.filename}: ${files.join(", ")}`);
  check(
    files.includes("dist/index.js") && files.includes("dist/index.d.ts"),
    "ships dist/ JS and types",
  );
  check(files.includes("README.md"), "ships its README");
  check(
    !files.some((f) => f.startsWith("src/") || f.startsWith("test/")),
    "ships no sources or tests",
  );

  step("declarations are self-contained");
  const unpacked = join(scratch, "unpacked");
  mkdirSync(unpacked);
  run("tar", ["-xzf", tarball, "-C", unpacked], scratch);
  const dist = join(unpacked, "package/dist");
  const manifest = JSON.parse(readFileSync(join(unpacked, "package/package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  const deps = Object.keys(manifest.dependencies);
  for (const file of readdirSync(dist).filter((f) => f.endsWith(".d.ts"))) {
    const text = readFileSync(join(dist, file), "utf8");
    const specifiers = [...text.matchAll(/(?:from\s+|import\()\s*"([^"]+)"/g)].map((m) => m[1]!);
    const bad = specifiers.filter((s) =>
      s.startsWith(".")
        ? s.startsWith("../") || !existsSync(join(dist, s.replace(/\.js$/, ".d.ts")))
        : !deps.some((d) => s === d || s.startsWith(`${d}/`)),
    );
    check(bad.length === 0, `${file} imports ${[...new Set(specifiers)].join(", ") || "nothing"}`);
  }

  step(`install the tarball into a scratch project (${online ? "online" : "offline"})`);
  const consumer = join(scratch, "consumer");
  mkdirSync(consumer);
  writeFileSync(
    join(consumer, "package.json"),
    JSON.stringify({ name: "edgepanel-consumer", private: true, type: "module" }),
  );
  const install = ["install", "--no-audit", "--no-fund", "--ignore-scripts", tarball];
  if (!online) {
    // The dependency closure, packed from this repo's installed copies.
    const depsDir = join(scratch, "deps");
    mkdirSync(depsDir);
    const seen = new Set<string>();
    const visit = (name: string, from: string) => {
      let dir = from;
      while (!existsSync(join(dir, "node_modules", name, "package.json"))) {
        if (dir === root || dir === dirname(dir)) throw new Error(`${name} is not installed`);
        dir = dirname(dir);
      }
      const at = join(dir, "node_modules", name);
      if (seen.has(at)) return;
      seen.add(at);
      const meta = JSON.parse(readFileSync(join(at, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
      };
      for (const dep of Object.keys(meta.dependencies ?? {})) visit(dep, at);
    };
    for (const dep of deps) visit(dep, pkgDir);
    for (const at of seen) {
      run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", depsDir, at], root);
    }
    install.push("--offline", ...readdirSync(depsDir).map((f) => join(depsDir, f)));
  }
  run("npm", install, consumer);
  const installed = readdirSync(join(consumer, "node_modules"), { recursive: true })
    .map(String)
    .filter(
      (p) =>
        /^(@[^/]+\/)?[^/@]+$/.test(p) &&
        existsSync(join(consumer, "node_modules", p, "package.json")),
    );
  console.log(`node_modules: ${installed.sort().join(", ")}`);
  check(existsSync(join(consumer, "node_modules/@edgepanel/client/dist/index.js")), "installed");

  step("type-check a consumer against the installed package");
  copyFileSync(join(pkgDir, "test/consumer.ts"), join(consumer, "consumer.ts"));
  copyFileSync(join(pkgDir, "test/tsconfig.json"), join(consumer, "tsconfig.json"));
  for (const resolution of ["NodeNext", "Bundler"]) {
    const args = ["-p", consumer, "--moduleResolution", resolution];
    if (resolution === "Bundler") args.push("--module", "ESNext");
    try {
      run(tsc, args, consumer);
      check(true, `tsc (moduleResolution ${resolution}, skipLibCheck off)`);
    } catch (err) {
      console.log((err as { stdout?: string }).stdout);
      check(false, `tsc (moduleResolution ${resolution}, skipLibCheck off)`);
    }
  }

  step("run the consumer with Node.js");
  try {
    // Node strips the types; only the installed dist/ JavaScript runs.
    process.stdout.write(run(process.execPath, ["consumer.ts"], consumer));
    check(true, "consumer ran");
  } catch (err) {
    console.log((err as { stdout?: string }).stdout);
    check(false, "consumer ran");
  }
} finally {
  if (keep) console.log(`\nkept ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}

console.log(
  `\nclient package: ${failures === 0 ? "all checks passed" : `${failures} check(s) failed`}`,
);
process.exit(failures === 0 ? 0 : 1);
