import { z } from "zod";

export const MANIFEST_FORMAT = "edgepanel-backup/1";

/** One object of a backup: a table (or one part of a large table) as gzip NDJSON. */
export const FileEntrySchema = z.object({
  table: z.string(),
  /** Object name under `backups/{id}/`. */
  name: z.string(),
  rows: z.number().int().min(0),
  plain_bytes: z.number().int().min(0),
  plain_sha256: z.string().length(64),
  gzip_bytes: z.number().int().min(0),
  gzip_sha256: z.string().length(64),
  /** The object as stored (encrypted when the backup is). */
  stored_bytes: z.number().int().min(0),
  stored_sha256: z.string().length(64),
});
export type FileEntry = z.infer<typeof FileEntrySchema>;

export const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  id: z.string(),
  /** The newest migration applied to the database backed up. */
  schema_version: z.string().nullable(),
  started_at: z.string(),
  /** When the snapshot fence was taken (see docs/backups.md, "Consistency"). */
  snapshot_at: z.string(),
  finished_at: z.string(),
  /** D1 bookmark at the fence: Time Travel can restore exactly this point for 30 days. */
  bookmark: z.string().nullable(),
  compression: z.literal("gzip"),
  encryption: z
    .object({
      algorithm: z.literal("AES-256-GCM"),
      key_id: z.string(),
      chunk_bytes: z.number().int().positive(),
    })
    .nullable(),
  /** Stored bytes of every data object (the manifest not included). */
  size_bytes: z.number().int().min(0),
  tables: z.array(
    z.object({ name: z.string(), columns: z.array(z.string()), rows: z.number().int().min(0) }),
  ),
  files: z.array(FileEntrySchema),
  schema: z.object({ statements: z.array(z.string()), fts: z.array(z.string()) }),
});
export type Manifest = z.infer<typeof ManifestSchema>;

export const backupPrefix = (id: string) => `backups/${id}/`;
export const manifestKey = (id: string) => `${backupPrefix(id)}manifest.json`;

/** Object name of part `part` (1-based) of `table`: the first part carries the plain name. */
export const fileName = (table: string, part: number) =>
  part === 1 ? `${table}.ndjson.gz` : `${table}.${part}.ndjson.gz`;

/** Rows per table, from the manifest's files. */
export const rowCounts = (m: Pick<Manifest, "tables">) =>
  Object.fromEntries(m.tables.map((t) => [t.name, t.rows]));
