import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { getDatabase } from "../../../src/db/client.ts";
import { backups } from "../../../src/db/schema.ts";
import { loadConfig } from "../../../src/env.ts";
import { getKeyring } from "../../../src/lib/crypto.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { type BackupDeps, runBackupStep } from "../../../src/services/backups/backup.ts";
import type { Manifest } from "../../../src/services/backups/manifest.ts";
import { readSchema } from "../../../src/services/backups/schema.ts";

export const db = () => getDatabase(env);
export const ring = () => {
  const config = loadConfig(env);
  return getKeyring(config.ENCRYPTION_KEY, config.ENCRYPTION_KEY_PREVIOUS);
};

/** Runs a whole backup through the service (no queue), step after step, as the jobs would. */
export async function backupNow(
  over: Partial<BackupDeps> = {},
): Promise<{ id: string; manifest: Manifest; steps: number }> {
  const id = uuidv7();
  await db()
    .insert(backups)
    .values({ id, status: "running", trigger: "manual", startedAt: nowIso() });
  const keyring = await ring();
  const deps: BackupDeps = {
    db: db(),
    d1: env.DB,
    bucket: env.BACKUPS,
    sealing: keyring.current,
    ...over,
  };
  for (let step = 0; ; step++) {
    const outcome = await runBackupStep(deps, id, step);
    if (outcome.kind === "done") {
      await db()
        .update(backups)
        .set({ status: "succeeded", finishedAt: nowIso(), progress: null })
        .where(eq(backups.id, id));
      return { id, manifest: outcome.manifest, steps: step + 1 };
    }
    if (outcome.kind === "superseded") throw new Error("superseded");
    await db()
      .update(backups)
      .set({ progress: { ...(await progressOf(id)), step: step + 1 } })
      .where(eq(backups.id, id));
  }
}

async function progressOf(id: string) {
  return (await db().select().from(backups).where(eq(backups.id, id)).get())!.progress!;
}

/** Every row of every data table, in rowid order. */
export async function contents(d1: D1Database): Promise<Record<string, unknown[]>> {
  const schema = await readSchema(env.DB);
  const out: Record<string, unknown[]> = {};
  for (const t of schema.tables) {
    const { results } = await d1.prepare(`select * from "${t.name}" order by rowid`).all();
    out[t.name] = results;
  }
  return out;
}
