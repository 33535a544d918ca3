/**
 * Restores a backup into a local database (docs/backups.md, "Restore").
 *
 *   npm run backup:restore -- --id <backup id> [--to d1-local | d1-local:BINDING | libsql:file:restore.db]
 *                             [--from-dir DIR] [--force]
 *
 * Reads the backup from the local R2 bucket of `wrangler dev` (.wrangler/state, through
 * Miniflare) or, with --from-dir, from a directory holding its objects (manifest.json
 * and the *.ndjson.gz files, e.g. copied from the production bucket). Decrypts with
 * ENCRYPTION_KEY (and ENCRYPTION_KEY_PREVIOUS) from the environment or .dev.vars, the
 * development key otherwise. Every object is verified against the manifest before
 * anything is written; migrations up to the backup's schema version are applied to the
 * empty target; rows are inserted in batches; FTS indexes are rebuilt; every table is
 * recounted and re-hashed against the manifest. Exits 1 on any mismatch, 2 on bad
 * arguments. A target that already has tables is refused unless --force (which drops
 * everything in it first).
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { DEVELOPMENT_DEFAULTS } from "../src/env.ts";
import { getKeyring } from "../src/lib/crypto.ts";
import { backupPrefix, type Manifest } from "../src/services/backups/manifest.ts";
import { type ObjectSource, r2Source } from "../src/services/backups/objects.ts";
import {
  d1Target,
  type RestoreOutcome,
  type RestoreTarget,
  restoreBackup,
} from "../src/services/backups/restore.ts";
import type { SqlValue } from "../src/services/backups/streams.ts";
import { loadManifest } from "../src/services/backups/verify.ts";

/** `KEY=value` lines of .dev.vars (wrangler's local secrets), if the file exists. */
function devVars(): Record<string, string> {
  if (!existsSync(".dev.vars")) return {};
  return Object.fromEntries(
    readFileSync(".dev.vars", "utf8")
      .split("\n")
      .map((l) => /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

/** The keyring the Worker would use: environment first, then .dev.vars, then the development key. */
export function localKeyring() {
  const vars = devVars();
  const current =
    process.env.ENCRYPTION_KEY ?? vars.ENCRYPTION_KEY ?? DEVELOPMENT_DEFAULTS.ENCRYPTION_KEY;
  const previous = process.env.ENCRYPTION_KEY_PREVIOUS ?? vars.ENCRYPTION_KEY_PREVIOUS;
  return getKeyring(current, previous);
}

/** Objects from a directory: `backups/{id}/{name}` is read from `{dir}/{name}`. */
export const dirSource = (dir: string): ObjectSource => ({
  async get(key) {
    const path = join(dir, key.slice(key.lastIndexOf("/") + 1));
    if (!existsSync(path)) return null;
    const { size } = statSync(path);
    // Streamed: an object is never held whole in memory.
    const body = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
    return { body, size };
  },
});

/** A libSQL database (a `file:` path, or a remote URL) as a restore target. */
export function libsqlTarget(url: string, authToken?: string) {
  const client = createClient({ url, authToken });
  const target: RestoreTarget = {
    async all(sql, params = []) {
      const rs = await client.execute({ sql, args: params as never[] });
      return rs.rows.map((r) => Object.fromEntries(rs.columns.map((c, i) => [c, r[i]])));
    },
    async batch(statements) {
      if (statements.length)
        await client.batch(
          statements.map((s) => ({ sql: s.sql, args: s.params as never[] })),
          "write",
        );
    },
  };
  return { client, target };
}

/** Migration files in order, up to and including `version` (the manifest's schema version). */
export function migrationsUpTo(version: string | null, dir = "migrations"): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort();
  if (version === null) return files;
  const at = files.indexOf(`${version}.sql`);
  if (at === -1)
    throw new Error(
      `the backup's schema version ${version} is not among ./${dir} (a backup from a newer release?)`,
    );
  return files.slice(0, at + 1);
}

/**
 * Creates the schema of `manifest` by applying the migrations up to its version,
 * statement by statement (drizzle-kit's `--> statement-breakpoint` separates them; a
 * trigger body holds semicolons), and records them in `d1_migrations` as wrangler
 * does, so `wrangler d1 migrations apply` later applies only newer ones.
 */
export async function applyMigrations(
  target: RestoreTarget,
  manifest: Manifest,
  dir = "migrations",
) {
  await target.batch([
    {
      sql: "create table if not exists d1_migrations (id integer primary key autoincrement, name text unique, applied_at timestamp not null default current_timestamp)",
      params: [],
    },
  ]);
  for (const file of migrationsUpTo(manifest.schema_version, dir)) {
    const statements = readFileSync(join(dir, file), "utf8")
      .split("--> statement-breakpoint")
      .map((s) => s.trim())
      .filter((s) => s.replace(/--.*$/gm, "").trim().length);
    await target.batch([
      ...statements.map((sql) => ({ sql, params: [] as SqlValue[] })),
      { sql: "insert into d1_migrations (name) values (?1)", params: [file] },
    ]);
  }
}

export interface RestoreRun {
  manifest: Manifest;
  outcome: RestoreOutcome;
  seconds: number;
}

/** Loads the manifest, then restores (see the module comment). */
export async function restoreLocal(
  source: ObjectSource,
  id: string,
  target: RestoreTarget,
  { force = false, log = console.log }: { force?: boolean; log?: (s: string) => void } = {},
): Promise<RestoreRun> {
  const started = performance.now();
  const loaded = await loadManifest(source, id);
  if (!loaded.ok) throw new Error(loaded.error);
  const ring = await localKeyring();
  const outcome = await restoreBackup({
    source,
    manifest: loaded.value,
    keys: ring.all,
    target,
    createSchema: (t, m) => applyMigrations(t, m),
    force,
    batchRows: 500,
    log,
  });
  return { manifest: loaded.value, outcome, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      id: { type: "string" },
      to: { type: "string", default: "d1-local" },
      "from-dir": { type: "string" },
      force: { type: "boolean", default: false },
    },
  });
  if (!values.id || !/^[0-9a-f-]{36}$/.test(values.id)) {
    console.error(
      "usage: npm run backup:restore -- --id <backup id> [--to d1-local|d1-local:BINDING|libsql:file:restore.db] [--from-dir DIR] [--force]",
    );
    return 2;
  }
  const to = values.to!;
  if (!/^(d1-local(:[A-Z_][A-Z0-9_]*)?|libsql:.+)$/.test(to)) {
    console.error(`--to must be d1-local, d1-local:BINDING or libsql:<url>, not ${to}`);
    return 2;
  }
  process.env.WRANGLER_SEND_METRICS ??= "false";
  const needsProxy = !values["from-dir"] || to.startsWith("d1-local");
  const { getPlatformProxy } = await import("wrangler");
  const proxy = needsProxy ? await getPlatformProxy<Record<string, unknown>>() : null;
  try {
    const source = values["from-dir"]
      ? dirSource(values["from-dir"])
      : r2Source(proxy!.env.BACKUPS as R2Bucket);
    let target: RestoreTarget;
    if (to.startsWith("libsql:")) target = libsqlTarget(to.slice("libsql:".length)).target;
    else {
      const binding = to.split(":")[1] ?? "DB";
      const d1 = proxy!.env[binding] as D1Database | undefined;
      if (!d1) throw new Error(`no D1 binding ${binding} in wrangler.toml`);
      target = d1Target(d1);
    }
    console.log(`restoring backup ${values.id} (${backupPrefix(values.id)}) into ${to}`);
    const run = await restoreLocal(source, values.id, target, { force: values.force });
    console.log(`\n${"table".padEnd(24)} ${"rows".padStart(10)}  manifest`);
    for (const t of run.manifest.tables)
      console.log(
        `${t.name.padEnd(24)} ${String(run.outcome.rows[t.name]).padStart(10)}  ${t.rows}`,
      );
    console.log(
      `\nrestored and verified in ${run.seconds.toFixed(2)} s (checksums ${run.outcome.verifyMs} ms, writing and checking ${run.outcome.writeMs} ms): every count and checksum matches`,
    );
    return 0;
  } catch (error) {
    console.error(`restore failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await proxy?.dispose();
  }
}

if (import.meta.main) process.exitCode = await main();
