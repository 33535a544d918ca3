import { sql } from "drizzle-orm";
import { type Database, ping } from "../../db/client.ts";
import { componentChecks, type StatusComponent } from "../../db/schema.ts";
import { timedCheck } from "../../lib/deadline.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";

/** Per-component budget: a hung binding is `down`, it does not hold the cron. */
export const COMPONENT_TIMEOUT_MS = 2_000;
/** A component that answers slower than this is `degraded`. */
export const COMPONENT_DEGRADED_MS = 1_000;
/** Queued jobs older than this mean the queue is not being consumed. */
export const QUEUE_DEGRADED_AGE_MS = 10 * 60 * 1000;
export const QUEUE_DOWN_AGE_MS = 30 * 60 * 1000;

export interface ComponentCheck {
  component: StatusComponent;
  status: "up" | "degraded" | "down";
  latencyMs: number | null;
  error: string | null;
}

export interface ComponentDeps {
  db: Database;
  cache: KVNamespace;
  files: R2Bucket;
  /** Throws when the API's configuration is invalid (every route would answer 500). */
  checkConfig: () => void;
  now?: number;
}

const outcome = (
  component: StatusComponent,
  r: { ok: boolean; ms: number; error?: string | undefined },
): ComponentCheck => ({
  component,
  status: !r.ok ? "down" : r.ms > COMPONENT_DEGRADED_MS ? "degraded" : "up",
  latencyMs: Math.round(r.ms),
  error: r.ok ? null : (r.error ?? "check failed"),
});

/**
 * Probes the platform's components the way /health/ready does, each within its own
 * budget: the API (its configuration loads), the database (a round trip), the cache
 * (a KV read), storage (an R2 HEAD) and the queue (no job left queued for long:
 * producers and the consumer both work). Never throws.
 */
export async function probeComponents(deps: ComponentDeps): Promise<ComponentCheck[]> {
  const now = deps.now ?? Date.now();
  let oldestQueued: string | null = null;
  const [api, database, cache, storage, queue] = await Promise.all([
    timedCheck(async () => deps.checkConfig(), COMPONENT_TIMEOUT_MS),
    timedCheck(() => ping(deps.db), COMPONENT_TIMEOUT_MS),
    timedCheck(() => deps.cache.get("health:probe"), COMPONENT_TIMEOUT_MS),
    timedCheck(() => deps.files.head("health/probe"), COMPONENT_TIMEOUT_MS),
    timedCheck(async () => {
      const [row] = await deps.db.all<{ at: string | null }>(
        sql`select min(created_at) as at from jobs where status = 'queued'`,
      );
      oldestQueued = row?.at ?? null;
    }, COMPONENT_TIMEOUT_MS),
  ]);
  const checks = [
    outcome("api", api),
    outcome("database", database),
    outcome("cache", cache),
    outcome("storage", storage),
    outcome("queue", queue),
  ];
  if (queue.ok && oldestQueued) {
    const age = now - Date.parse(oldestQueued);
    const q = checks[4]!;
    if (age > QUEUE_DOWN_AGE_MS) Object.assign(q, { status: "down", error: "jobs stuck in queue" });
    else if (age > QUEUE_DEGRADED_AGE_MS)
      Object.assign(q, { status: "degraded", error: "jobs waiting in queue" });
  }
  return checks;
}

/** Stores one round of component checks (one batch). */
export async function recordComponentChecks(
  db: Database,
  checks: ComponentCheck[],
  now = Date.now(),
): Promise<void> {
  if (!checks.length) return;
  const checkedAt = nowIso(now);
  await db
    .insert(componentChecks)
    .values(checks.map((c) => ({ id: uuidv7(now), ...c, checkedAt })))
    .run();
}
