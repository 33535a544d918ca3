import { count, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { servers } from "../../db/schema.ts";
import { err, ok, type Result } from "../../lib/result.ts";

/** How many servers `ownerId` has (an index-only count on servers' owner index). */
export async function countServersOwnedBy(db: Database, ownerId: string): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(servers)
    .where(eq(servers.ownerId, ownerId))
    .get();
  return row?.n ?? 0;
}

/**
 * May `ownerId` add one more server under a cap of `limit`? The count and the
 * insert are separate statements, so concurrent creates can overshoot the cap by
 * the number racing; the cap is a guard against runaway use, not an invoice.
 */
export async function checkServerQuota(
  db: Database,
  ownerId: string,
  limit: number,
): Promise<Result<{ used: number }, "quota_exceeded">> {
  const used = await countServersOwnedBy(db, ownerId);
  return used < limit ? ok({ used }) : err("quota_exceeded");
}
