import { createHash } from "node:crypto";
import { backupPrefix, type Manifest } from "./manifest.ts";
import { type ObjectSource, readObject } from "./objects.ts";
import { ident, isInternalTable } from "./schema.ts";
import { decodeValue, encodeRow, type SqlValue } from "./streams.ts";
import { verifyFiles } from "./verify.ts";

/** A database to restore into: local D1 (a binding, in workerd or through Miniflare) or libSQL. */
export interface RestoreTarget {
  all(sql: string, params?: SqlValue[]): Promise<Record<string, unknown>[]>;
  /** Runs the statements as one transaction. */
  batch(statements: { sql: string; params: SqlValue[] }[]): Promise<void>;
}

export const d1Target = (d1: D1Database): RestoreTarget => ({
  async all(sql, params = []) {
    return (
      await d1
        .prepare(sql)
        .bind(...params)
        .all<Record<string, unknown>>()
    ).results;
  },
  async batch(statements) {
    if (statements.length)
      await d1.batch(statements.map((s) => d1.prepare(s.sql).bind(...s.params)));
  },
});

export class RestoreError extends Error {
  override name = "RestoreError";
}

export interface RestoreOptions {
  source: ObjectSource;
  manifest: Manifest;
  keys: ReadonlyMap<string, CryptoKey>;
  target: RestoreTarget;
  /** Creates the schema in the (now empty) target: migrations up to the manifest's version, or its DDL. */
  createSchema(target: RestoreTarget, manifest: Manifest): Promise<void>;
  /** Wipe a target that has tables (otherwise: refuse). */
  force?: boolean;
  /** Rows per insert transaction. */
  batchRows?: number;
  log?: (line: string) => void;
}

export interface RestoreOutcome {
  rows: Record<string, number>;
  verifyMs: number;
  writeMs: number;
}

/** The target's own tables, views and triggers (not SQLite's, Cloudflare's or FTS shadows). */
async function objects(target: RestoreTarget) {
  return (await target.all(
    "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' and name not like '_cf_%' order by rowid",
  )) as { type: string; name: string; tbl_name: string; sql: string | null }[];
}

/** Drops everything in the target: the scratch database of a drill, or `--force`. */
export async function wipe(target: RestoreTarget): Promise<void> {
  const all = await objects(target);
  const virtual = all.filter(
    (o) => o.type === "table" && /^\s*create\s+virtual/i.test(o.sql ?? ""),
  );
  const shadow = (n: string) => virtual.some((v) => n.startsWith(`${v.name}_`));
  const tables = all
    .filter((o) => o.type === "table" && !virtual.includes(o) && !shadow(o.name))
    .map((o) => o.name);
  // Children before parents: dropping a table deletes its rows, and SQLite checks
  // those deletes against the parent, which must still exist.
  const parents = new Map<string, string[]>();
  for (const t of tables)
    parents.set(
      t,
      (await target.all(`select "table" as parent from pragma_foreign_key_list(?1)`, [t]))
        .map((r) => String(r.parent))
        .filter((p) => p !== t),
    );
  const order: string[] = [];
  let left = tables;
  while (left.length) {
    const leaves = left.filter((t) => !left.some((o) => o !== t && parents.get(o)?.includes(t)));
    const next = leaves.length ? leaves : left;
    order.push(...next);
    left = left.filter((t) => !next.includes(t));
  }
  const drops = [
    ...all
      .filter((o) => o.type === "trigger")
      .map((o) => `drop trigger if exists ${ident(o.name)}`),
    ...all.filter((o) => o.type === "view").map((o) => `drop view if exists ${ident(o.name)}`),
    ...virtual.map((o) => `drop table if exists ${ident(o.name)}`),
    ...order.map((t) => `drop table if exists ${ident(t)}`),
  ];
  // Deferred foreign-key checks cover a cycle, should a schema ever have one.
  if (drops.length)
    await target.batch([
      { sql: "pragma defer_foreign_keys = on", params: [] },
      ...drops.map((sql) => ({ sql, params: [] })),
    ]);
}

/**
 * Restores a backup: verifies every object against the manifest before writing
 * anything, refuses a target that has tables (unless `force`, which wipes it),
 * creates the schema, inserts each table in foreign-key order in batches with the
 * target's triggers set aside (restored rows are data, not new events), puts the
 * triggers back, rebuilds the FTS indexes, and recounts every table against the
 * manifest. Throws {@link RestoreError} on any difference.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreOutcome> {
  const { source, manifest, keys, target, log = () => {} } = options;
  const batchRows = options.batchRows ?? 200;
  const t0 = Date.now();
  const verified = await verifyFiles(source, manifest, keys);
  if (!verified.ok)
    throw new RestoreError(`verification failed, nothing written: ${verified.error}`);
  const verifyMs = Date.now() - t0;
  log(`verified ${verified.value.files} objects, ${verified.value.rows} rows in ${verifyMs} ms`);

  const existing = (await objects(target)).filter(
    (o) => o.type === "table" && !isInternalTable(o.name),
  );
  if (existing.length) {
    if (!options.force)
      throw new RestoreError(
        `the target is not empty (${existing.length} tables, e.g. ${existing[0]!.name}); pass --force to replace it`,
      );
    await wipe(target);
    // The migrations ledger goes too: the schema is recreated from scratch.
    await target.batch([{ sql: "drop table if exists d1_migrations", params: [] }]);
  }
  await options.createSchema(target, manifest);

  const t1 = Date.now();
  for (const table of manifest.tables) {
    const have = new Set(
      (await target.all(`select name from pragma_table_info(?1)`, [table.name])).map((c) =>
        String(c.name),
      ),
    );
    const missing = table.columns.filter((c) => !have.has(c));
    if (!have.size || missing.length)
      throw new RestoreError(
        `the target schema does not match the backup: ${table.name} lacks ${have.size ? missing.join(", ") : "the table"}`,
      );
  }
  const triggers = (await objects(target)).filter((o) => o.type === "trigger" && o.sql);
  if (triggers.length)
    await target.batch(triggers.map((t) => ({ sql: `drop trigger ${ident(t.name)}`, params: [] })));
  for (const table of manifest.tables) {
    const insert = `insert into ${ident(table.name)} (${table.columns.map(ident).join(", ")}) values (${table.columns.map((_, i) => `?${i + 1}`).join(", ")})`;
    let pending: { sql: string; params: SqlValue[] }[] = [];
    const flush = async () => {
      if (!pending.length) return;
      await target.batch([{ sql: "pragma defer_foreign_keys = on", params: [] }, ...pending]);
      pending = [];
    };
    for (const entry of manifest.files.filter((f) => f.table === table.name)) {
      await readObject(source, `${backupPrefix(manifest.id)}${entry.name}`, entry, {
        keys: manifest.encryption ? keys : null,
        onLine: async (line) => {
          const row = JSON.parse(line) as Record<string, unknown>;
          pending.push({
            sql: insert,
            params: table.columns.map((c) => decodeValue(row[c] ?? null)),
          });
          if (pending.length >= batchRows) await flush();
        },
      });
    }
    await flush();
    log(`restored ${table.name}: ${table.rows} rows`);
  }
  if (triggers.length) await target.batch(triggers.map((t) => ({ sql: t.sql!, params: [] })));
  for (const fts of manifest.schema.fts)
    await target.batch([
      { sql: `insert into ${ident(fts)}(${ident(fts)}) values ('rebuild')`, params: [] },
    ]);

  const rows: Record<string, number> = {};
  const mismatches: string[] = [];
  for (const table of manifest.tables) {
    const [count] = await target.all(`select count(*) as n from ${ident(table.name)}`);
    rows[table.name] = Number(count?.n);
    if (rows[table.name] !== table.rows)
      mismatches.push(`${table.name}: ${rows[table.name]} rows, manifest ${table.rows}`);
  }
  if (mismatches.length) throw new RestoreError(`row counts differ: ${mismatches.join("; ")}`);
  const differing = await rehash(target, manifest);
  if (differing.length)
    throw new RestoreError(`restored rows differ from the backup: ${differing.join("; ")}`);
  return { rows, verifyMs, writeMs: Date.now() - t1 };
}

/**
 * Reads every restored table back in rowid order, encodes it as the backup did and
 * compares each part's SHA-256 with the manifest's plain checksum: the restored
 * rows are then byte for byte the rows that were backed up, not just as many.
 * Returns the parts that differ.
 */
export async function rehash(target: RestoreTarget, manifest: Manifest): Promise<string[]> {
  const differing: string[] = [];
  for (const table of manifest.tables) {
    const parts = manifest.files.filter((f) => f.table === table.name);
    const select = `select rowid as "__rowid", ${table.columns.map(ident).join(", ")} from ${ident(table.name)} where rowid > ?1 order by rowid limit 1000`;
    let after = Number.MIN_SAFE_INTEGER;
    let page: Record<string, unknown>[] = [];
    let at = 0;
    for (const part of parts) {
      const hash = createHash("sha256");
      for (let n = 0; n < part.rows; n++) {
        if (at >= page.length) {
          page = await target.all(select, [after]);
          at = 0;
          if (!page.length) break;
          after = Number(page.at(-1)!.__rowid);
        }
        const row = page[at++]!;
        hash.update(
          encodeRow(
            table.columns,
            table.columns.map((c) => row[c]),
          ),
        );
      }
      if (hash.digest("hex") !== part.plain_sha256) differing.push(part.name);
    }
  }
  return differing;
}

/** Creates the schema from the DDL the manifest captured (the drill's scratch database). */
export async function createSchemaFromManifest(target: RestoreTarget, manifest: Manifest) {
  for (const statement of manifest.schema.statements)
    await target.batch([{ sql: statement, params: [] }]);
}
