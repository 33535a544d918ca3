import { min } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { users } from "../../db/schema.ts";
import { latestDrill, newestVerified } from "./store.ts";

/** A day's backup plus two hours of slack for a slow or retried nightly run. */
export const MAX_VERIFIED_AGE_SECONDS = 26 * 3600;

/**
 * What readiness says about backups: degraded (never down: serving does not
 * depend on backups) when the newest verified backup is older than 26 hours, when
 * there is none although the panel has had users for 26 hours (a new deployment
 * gets its first night), or when the last restore drill failed.
 */
export async function backupHealth(db: Database, now = Date.now()) {
  const [verified, drill, first] = await Promise.all([
    newestVerified(db),
    latestDrill(db),
    db
      .select({ at: min(users.createdAt) })
      .from(users)
      .get(),
  ]);
  const age = verified ? Math.round((now - Date.parse(verified.startedAt)) / 1000) : null;
  const reasons: string[] = [];
  const lifetime = first?.at ? (now - Date.parse(first.at)) / 1000 : 0;
  if (age === null && lifetime > MAX_VERIFIED_AGE_SECONDS) reasons.push("no verified backup yet");
  else if (age !== null && age > MAX_VERIFIED_AGE_SECONDS)
    reasons.push("the newest verified backup is older than 26 h");
  if (drill?.status === "failed") reasons.push("the last restore drill failed");
  return {
    newestVerifiedAgeSeconds: age,
    lastDrill: (drill?.status as "passed" | "failed" | undefined) ?? null,
    reasons,
  };
}
