import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql";
import type { Database } from "./client.ts";

/**
 * drizzle over libSQL in Node (`file:` paths, `:memory:` or remote URLs): used by
 * the Node test project and scripts. Never bundled into the Worker, which has no
 * filesystem.
 */
export function createNodeDatabase(url: string, authToken?: string) {
  const client = createClient({ url, authToken });
  const db: Database = drizzle(client);
  return { db, client };
}

/** Applies `migrations/*.sql` in name order, as `wrangler d1 migrations apply` does. */
export async function applyMigrations(
  client: ReturnType<typeof createClient>,
  dir = join(import.meta.dirname, "../../migrations"),
): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".sql")).sort();
  for (const file of files) {
    await client.executeMultiple(await readFile(join(dir, file), "utf8"));
  }
  return files;
}
