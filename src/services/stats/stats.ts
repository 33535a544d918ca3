import { count, desc, gt, gte, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import {
  ENVIRONMENTS,
  jobs,
  ROLES,
  SERVER_STATUSES,
  servers,
  submissions,
  users,
  webhookEndpoints,
} from "../../db/schema.ts";
import { nowIso } from "../../lib/ids.ts";
import { ApiError } from "../../lib/problem.ts";
import type { MetricsSnapshot, MetricsStore } from "../../metrics/durable-object.ts";
import { metricsStub } from "../../observability/flush.ts";
import type { AdminStats } from "./types.ts";

export type { AdminStats };

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const zeroes = <K extends string>(keys: readonly K[]) =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

const tally = <K extends string>(keys: readonly K[], rows: { key: K | null; n: number }[]) => {
  const out = zeroes(keys);
  for (const r of rows) if (r.key !== null && r.key in out) out[r.key] += r.n;
  return out;
};

/** A METRICS call; its failure is a 503 naming the object, not a generic 500. */
async function fromMetrics<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw new ApiError("service_unavailable", {
      detail: "The metrics store is unavailable; try again shortly",
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
}

const ratio = (part: number, whole: number) =>
  whole > 0 ? Math.round((part / whole) * 1000) / 1000 : null;

/** Sums the counters of `name` whose labels match `where`. */
function sumCounters(
  snapshot: MetricsSnapshot,
  name: string,
  where: (labels: Record<string, string>) => boolean = () => true,
): number {
  let total = 0;
  for (const c of snapshot.counters) if (c.name === name && where(c.labels)) total += c.value;
  return total;
}

/**
 * Computes the admin stats: totals from indexed D1 queries (users by role, servers
 * by status and environment, submissions per day over the `created_at` index, job
 * queue and failures), traffic, cache, rate-limit and webhook figures from the
 * METRICS object. Everything is read in parallel.
 */
export async function computeStats(
  db: Database,
  metrics: DurableObjectNamespace<MetricsStore>,
  now = Date.now(),
): Promise<AdminStats> {
  const today = now - (now % DAY_MS);
  const firstDay = today - 29 * DAY_MS;
  const thisMinute = now - (now % MINUTE_MS);
  const firstMinute = thisMinute - 59 * MINUTE_MS;
  const stub = metricsStub(metrics);
  const failed = ["failed", "dead"] as const;
  const day = sql<string>`substr(${submissions.createdAt}, 1, 10)`;

  const [
    byRole,
    byStatus,
    byEnvironment,
    perDay,
    queued,
    failedCount,
    recentFailures,
    failing,
    snapshot,
    minutes,
    lastHourLimited,
  ] = await Promise.all([
    db.select({ key: users.role, n: count() }).from(users).groupBy(users.role).all(),
    db.select({ key: servers.status, n: count() }).from(servers).groupBy(servers.status).all(),
    db
      .select({ key: servers.environment, n: count() })
      .from(servers)
      .groupBy(servers.environment)
      .all(),
    db
      .select({ key: day, n: count() })
      .from(submissions)
      .where(gte(submissions.createdAt, nowIso(firstDay)))
      .groupBy(day)
      .all(),
    db.$count(jobs, sql`${jobs.status} = 'queued'`),
    db.$count(jobs, inArray(jobs.status, failed)),
    db
      .select({ id: jobs.id, type: jobs.type, error: jobs.lastError, at: jobs.updatedAt })
      .from(jobs)
      .where(inArray(jobs.status, failed))
      .orderBy(desc(jobs.updatedAt))
      .limit(10)
      .all(),
    db
      .select({
        id: webhookEndpoints.id,
        url: webhookEndpoints.url,
        failures: webhookEndpoints.consecutiveFailures,
        enabled: webhookEndpoints.enabled,
      })
      .from(webhookEndpoints)
      .where(gt(webhookEndpoints.consecutiveFailures, 0))
      .orderBy(desc(webhookEndpoints.consecutiveFailures), webhookEndpoints.id)
      .limit(10)
      .all(),
    fromMetrics(stub.snapshot()),
    fromMetrics(stub.minutes(firstMinute, thisMinute + MINUTE_MS)),
    fromMetrics(stub.rateLimitedSince(now - 60 * MINUTE_MS)),
  ]);

  const roles = tally(ROLES, byRole);
  const submissionsByDay = new Map(perDay.map((r) => [r.key, r.n]));
  const hits = sumCounters(snapshot, "cache_requests_total", (l) =>
    ["hit", "stale"].includes(l.result ?? ""),
  );
  const lookups = sumCounters(snapshot, "cache_requests_total");
  const deliveries = sumCounters(snapshot, "webhook_deliveries_total");
  const succeeded = sumCounters(
    snapshot,
    "webhook_deliveries_total",
    (l) => l.outcome === "succeeded",
  );
  return {
    generated_at: nowIso(now),
    users: { total: Object.values(roles).reduce((a, b) => a + b, 0), by_role: roles },
    servers: {
      total: byStatus.reduce((a, r) => a + r.n, 0),
      by_status: tally(SERVER_STATUSES, byStatus),
      by_environment: tally(ENVIRONMENTS, byEnvironment),
    },
    submissions_per_day: Array.from({ length: 30 }, (_, i) => {
      const date = nowIso(firstDay + i * DAY_MS).slice(0, 10);
      return { date, count: submissionsByDay.get(date) ?? 0 };
    }),
    requests_per_minute: minutes.slice(-60).map((m) => ({
      minute: nowIso(m.minute),
      requests: m.requests,
      errors_4xx: m.errors_4xx,
      errors_5xx: m.errors_5xx,
    })),
    cache: { hits, misses: lookups - hits, hit_ratio: ratio(hits, lookups) },
    rate_limited: {
      total: sumCounters(snapshot, "http_requests_total", (l) => l.status === "429"),
      last_hour: lastHourLimited,
    },
    jobs: {
      queued,
      failed: failedCount,
      recent_failures: recentFailures.map((j) => ({
        id: j.id,
        type: j.type,
        error: j.error ?? "",
        failed_at: j.at,
      })),
    },
    webhooks: {
      deliveries,
      succeeded,
      success_rate: ratio(succeeded, deliveries),
      failing_endpoints: failing.map((e) => ({
        id: e.id,
        url: e.url,
        consecutive_failures: e.failures,
        disabled: !e.enabled,
      })),
    },
  };
}

// The answer is the same for every admin and changes slowly: computed at most once
// per isolate per 10 s. Only a finished answer is shared: a promise holds I/O of the
// request that started it, which another request must not await (workerd cancels it
// with its request).
const TTL_MS = 10_000;
let cached: { at: number; value: AdminStats } | undefined;

/** {@link computeStats}, cached in the isolate for 10 seconds (a failed computation is not kept). */
export async function cachedStats(
  db: Database,
  metrics: DurableObjectNamespace<MetricsStore>,
  now = Date.now(),
): Promise<AdminStats> {
  if (cached && now - cached.at < TTL_MS) return cached.value;
  const value = await computeStats(db, metrics, now);
  cached = { at: now, value };
  return value;
}

/** Forgets the cached stats (tests). */
export const resetStatsCache = () => {
  cached = undefined;
};
