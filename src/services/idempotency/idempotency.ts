import { and, eq, lte, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type IdempotencyRow, idempotencyKeys } from "../../db/schema.ts";
import { nowIso } from "../../lib/ids.ts";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** A claim whose request never finished (crashed isolate) is released after this. */
export const RUNNING_LEASE_MS = 60 * 1000;

export type Claim = { claimed: true } | { claimed: false; existing: IdempotencyRow };

/** Atomically claims `key` (INSERT on the primary key); otherwise returns who holds it. */
export async function claim(
  db: Database,
  key: string,
  requestHash: string,
  now = Date.now(),
): Promise<Claim> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const inserted = await db
      .insert(idempotencyKeys)
      .values({
        key,
        requestHash,
        state: "running",
        createdAt: nowIso(now),
        expiresAt: nowIso(now + RUNNING_LEASE_MS),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key })
      .all();
    if (inserted.length) return { claimed: true };
    const existing = await db
      .select()
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.key, key))
      .get();
    if (!existing) continue; // released between our INSERT and SELECT: try once more
    if (existing.expiresAt <= nowIso(now)) {
      // Expired record or abandoned lease: remove it (only if unchanged) and claim again.
      await db
        .delete(idempotencyKeys)
        .where(and(eq(idempotencyKeys.key, key), lte(idempotencyKeys.expiresAt, nowIso(now))));
      continue;
    }
    return { claimed: false, existing };
  }
  throw new Error("could not claim idempotency key");
}

export async function complete(
  db: Database,
  key: string,
  response: { status: number; headers: Record<string, string>; body: string },
  now = Date.now(),
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ state: "done", ...response, expiresAt: nowIso(now + IDEMPOTENCY_TTL_MS) })
    .where(eq(idempotencyKeys.key, key));
}

/**
 * The statement a mutation adds to its own batch: the claim becomes `committed`
 * with the write, so even if storing the response fails afterwards, the key is
 * never released and a retry can never run the mutation a second time.
 */
export function markCommitted(db: Database, key: string, when?: SQL, now = Date.now()) {
  return db
    .update(idempotencyKeys)
    .set({ state: "committed", expiresAt: nowIso(now + IDEMPOTENCY_TTL_MS) })
    .where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, "running"), when));
}

/**
 * Releases a claim so the client may retry (the request failed). A claim whose
 * mutation committed is kept: the failure came after the write.
 */
export async function release(db: Database, key: string): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(and(eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, "running")));
}
