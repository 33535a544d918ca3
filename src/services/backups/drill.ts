import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { backupDrills } from "../../db/schema.ts";
import { nowIso } from "../../lib/ids.ts";
import { r2Source } from "./objects.ts";
import { createSchemaFromManifest, d1Target, restoreBackup } from "./restore.ts";
import { newestSucceeded, newestVerified } from "./store.ts";
import { loadManifest } from "./verify.ts";

export interface DrillDeps {
  db: Database;
  bucket: R2Bucket;
  /** The scratch database (`RESTORE_DRILL`): wiped by every drill. */
  scratch: D1Database;
  keys: ReadonlyMap<string, CryptoKey>;
}

export interface DrillOutcome {
  status: "passed" | "failed";
  backupId: string | null;
  rtoSeconds: number | null;
  rpoSeconds: number | null;
  rows: Record<string, number> | null;
  error: string | null;
}

/**
 * A restore drill: restores the newest successful backup into the scratch database
 * exactly as a real restore would (checksums first, then rows, FTS rebuild, recount
 * and re-hash against the manifest) and records on drill `drillId` the measured RTO
 * — seconds from the drill's start until the copy was verified — and the RPO at
 * that moment — the age of the newest verified backup's snapshot.
 */
export async function runDrill(deps: DrillDeps, drillId: string): Promise<DrillOutcome> {
  const started = Date.now();
  const { db } = deps;
  const verified = await newestVerified(db);
  const rpoSeconds = verified
    ? Math.round((started - Date.parse(verified.startedAt)) / 1000)
    : null;
  const backup = await newestSucceeded(db);
  let outcome: DrillOutcome;
  try {
    if (!backup) throw new Error("there is no successful backup to restore");
    const source = r2Source(deps.bucket);
    const manifest = await loadManifest(source, backup.id);
    if (!manifest.ok) throw new Error(manifest.error);
    const restored = await restoreBackup({
      source,
      manifest: manifest.value,
      keys: deps.keys,
      target: d1Target(deps.scratch),
      createSchema: createSchemaFromManifest,
      force: true,
    });
    outcome = {
      status: "passed",
      backupId: backup.id,
      rtoSeconds: (Date.now() - started) / 1000,
      rpoSeconds,
      rows: restored.rows,
      error: null,
    };
  } catch (error) {
    outcome = {
      status: "failed",
      backupId: backup?.id ?? null,
      rtoSeconds: null,
      rpoSeconds,
      rows: null,
      error: (error instanceof Error ? error.message : String(error)).slice(0, 1000),
    };
  }
  await db
    .update(backupDrills)
    .set({
      status: outcome.status,
      backupId: outcome.backupId,
      finishedAt: nowIso(),
      rtoSeconds: outcome.rtoSeconds,
      rpoSeconds: outcome.rpoSeconds,
      rowCounts: outcome.rows,
      error: outcome.error,
    })
    .where(eq(backupDrills.id, drillId));
  return outcome;
}
