/**
 * What a backup knows about the database's shape, read from `sqlite_master` at
 * snapshot time rather than from a hand-kept list, so a table a later migration
 * adds is backed up without anyone remembering to.
 */

/** Something that runs SQL like D1 does: a D1 database, or one of its sessions. */
export type SqlSource = Pick<D1Database, "prepare" | "batch">;

export interface SchemaSnapshot {
  /** Tables whose rows are backed up, parents before children (foreign keys). */
  tables: { name: string; columns: string[] }[];
  /** DDL to recreate the schema: tables (virtual ones too), then indexes, triggers, views. */
  statements: string[];
  /** Full-text (FTS) virtual tables: not backed up, rebuilt from their content on restore. */
  fts: string[];
}

/**
 * Tables that are not data: SQLite's own, Cloudflare's (`_cf_*`, not even readable),
 * and the migrations ledger (the schema version goes into the manifest instead and
 * a restore applies migrations itself).
 */
export const isInternalTable = (name: string) =>
  name.startsWith("sqlite_") || name.startsWith("_cf_") || name === "d1_migrations";

/** `"name"` with embedded quotes doubled. */
export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

export async function readSchema(db: SqlSource): Promise<SchemaSnapshot> {
  const { results: master } = await db
    .prepare("select type, name, tbl_name, sql from sqlite_master order by rowid")
    .all<MasterRow>();
  const virtual = master.filter(
    (r) => r.type === "table" && /^\s*create\s+virtual\s+table/i.test(r.sql ?? ""),
  );
  const fts = virtual.filter((r) => /\busing\s+fts[345]\b/i.test(r.sql ?? "")).map((r) => r.name);
  // FTS5 keeps its index in shadow tables named <table>_data, _idx, _content, _docsize, _config.
  const isShadow = (name: string) => virtual.some((v) => name.startsWith(`${v.name}_`));
  const data = master.filter(
    (r) =>
      r.type === "table" &&
      !isInternalTable(r.name) &&
      !virtual.some((v) => v.name === r.name) &&
      !isShadow(r.name),
  );
  if (!data.length) return { tables: [], statements: [], fts };
  const info = await db.batch([
    ...data.map((t) =>
      db.prepare(`select name from pragma_table_info(?1) order by cid`).bind(t.name),
    ),
    ...data.map((t) =>
      db.prepare(`select "table" as parent from pragma_foreign_key_list(?1)`).bind(t.name),
    ),
  ]);
  const columns = new Map(
    data.map((t, i) => [t.name, (info[i]!.results as { name: string }[]).map((c) => c.name)]),
  );
  const parents = new Map(
    data.map((t, i) => [
      t.name,
      (info[data.length + i]!.results as { parent: string }[])
        .map((p) => p.parent)
        .filter((p) => p !== t.name),
    ]),
  );
  const ordered = topological(
    data.map((t) => t.name),
    parents,
  );
  const keep = (r: MasterRow) =>
    r.sql !== null && !isInternalTable(r.name) && !isInternalTable(r.tbl_name) && !isShadow(r.name);
  const byType = (type: string) =>
    master.filter((r) => r.type === type && keep(r)).map((r) => r.sql!);
  return {
    tables: ordered.map((name) => ({ name, columns: columns.get(name)! })),
    statements: [...byType("table"), ...byType("index"), ...byType("trigger"), ...byType("view")],
    fts,
  };
}

/** Parents first; a cycle (none today) keeps the remaining tables in their original order. */
function topological(names: string[], parents: Map<string, string[]>): string[] {
  const out: string[] = [];
  const placed = new Set<string>();
  let remaining = names;
  while (remaining.length) {
    const ready = remaining.filter((n) =>
      (parents.get(n) ?? []).every((p) => placed.has(p) || !names.includes(p)),
    );
    const next = ready.length ? ready : remaining;
    for (const n of next) {
      out.push(n);
      placed.add(n);
    }
    remaining = remaining.filter((n) => !placed.has(n));
  }
  return out;
}

/** The newest applied migration (`d1_migrations`), or null when the ledger is absent. */
export async function schemaVersion(db: SqlSource): Promise<string | null> {
  try {
    const row = await db
      .prepare("select name from d1_migrations order by id desc limit 1")
      .first<{ name: string }>();
    return row?.name.replace(/\.sql$/, "") ?? null;
  } catch {
    return null;
  }
}
