import { backupPrefix, type Manifest, ManifestSchema, manifestKey } from "./manifest.ts";
import { IntegrityError, type ObjectSource, readObject } from "./objects.ts";

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/** Reads and validates backup `id`'s manifest. */
export async function loadManifest(source: ObjectSource, id: string): Promise<Checked<Manifest>> {
  const object = await source.get(manifestKey(id));
  if (!object) return { ok: false, error: "manifest.json: missing" };
  let json: unknown;
  try {
    json = JSON.parse(await new Response(object.body).text());
  } catch {
    return { ok: false, error: "manifest.json: not JSON" };
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, error: "manifest.json: not a backup manifest" };
  if (parsed.data.id !== id)
    return { ok: false, error: "manifest.json: belongs to another backup" };
  for (const table of parsed.data.tables) {
    const rows = parsed.data.files
      .filter((f) => f.table === table.name)
      .reduce((n, f) => n + f.rows, 0);
    if (rows !== table.rows)
      return {
        ok: false,
        error: `manifest.json: ${table.name} files hold ${rows} rows, not ${table.rows}`,
      };
  }
  return { ok: true, value: parsed.data };
}

export interface VerifyOutcome {
  files: number;
  rows: number;
  bytes: number;
}

/**
 * Re-reads every object of a backup and checks it against the manifest: stored
 * size and SHA-256, decryption (with the key the manifest names, so a rotated-out
 * key in ENCRYPTION_KEY_PREVIOUS still works), gzip and plain SHA-256 and sizes,
 * and row counts. The first mismatch is the answer.
 */
export async function verifyBackup(
  source: ObjectSource,
  id: string,
  keys: ReadonlyMap<string, CryptoKey>,
): Promise<Checked<VerifyOutcome & { manifest: Manifest }>> {
  const loaded = await loadManifest(source, id);
  if (!loaded.ok) return loaded;
  const manifest = loaded.value;
  const checked = await verifyFiles(source, manifest, keys);
  return checked.ok ? { ok: true, value: { ...checked.value, manifest } } : checked;
}

export async function verifyFiles(
  source: ObjectSource,
  manifest: Manifest,
  keys: ReadonlyMap<string, CryptoKey>,
): Promise<Checked<VerifyOutcome>> {
  const kid = manifest.encryption?.key_id;
  if (kid && !keys.has(kid))
    return {
      ok: false,
      error: `encrypted with key ${kid}, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEY_PREVIOUS`,
    };
  let rows = 0;
  let bytes = 0;
  try {
    for (const entry of manifest.files) {
      await readObject(source, `${backupPrefix(manifest.id)}${entry.name}`, entry, {
        keys: manifest.encryption ? keys : null,
      });
      rows += entry.rows;
      bytes += entry.stored_bytes;
    }
  } catch (error) {
    if (error instanceof IntegrityError) return { ok: false, error: error.message };
    throw error;
  }
  return { ok: true, value: { files: manifest.files.length, rows, bytes } };
}
