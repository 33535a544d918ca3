import { sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { nowIso } from "../../lib/ids.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How far back the status page looks, and so how far back a first roll-up reaches. */
export const HISTORY_DAYS = 90;

/** `YYYY-MM-DD` (UTC) of an instant. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The `n` UTC days ending with the day of `now`, oldest first. */
export function lastDays(now: number, n: number): string[] {
  const today = Date.parse(`${dayOf(now)}T00:00:00.000Z`);
  return Array.from({ length: n }, (_, i) => dayOf(today - (n - 1 - i) * DAY_MS));
}

/**
 * Recomputes one UTC day of `probe_daily` from the raw checks: per component, per
 * server and per server tag (a server's current tags), the number of checks, how
 * many found the subject serving (`up` or `degraded`), how many were degraded, and
 * nearest-rank p50/p95 of the measured latencies (rank ⌈n·p⌉ of the n sorted
 * values). Every row of the day is rewritten from scratch, so running it twice
 * gives the same rows; a subject whose checks disappeared keeps its old row.
 */
export async function rollUpDay(db: Database, day: string, now = Date.now()): Promise<void> {
  const from = `${day}T00:00:00.000Z`;
  const to = `${dayOf(Date.parse(from) + DAY_MS)}T00:00:00.000Z`;
  await db.run(sql`
    with c(kind, subject, status, latency_ms) as (
      select 'component', component, status, latency_ms from component_checks
        where checked_at >= ${from} and checked_at < ${to}
      union all
      select 'server', server_id, status, latency_ms from server_checks
        where checked_at >= ${from} and checked_at < ${to}
      union all
      select 'tag', t.value, sc.status, sc.latency_ms
        from server_checks sc join servers s on s.id = sc.server_id, json_each(s.tags) t
        where sc.checked_at >= ${from} and sc.checked_at < ${to}
    ),
    agg as (
      select kind, subject, count(*) as checks,
        sum(status <> 'down') as successes, sum(status = 'degraded') as degraded
      from c group by kind, subject
    ),
    ranked as (
      select kind, subject, latency_ms,
        row_number() over (partition by kind, subject order by latency_ms) as rn,
        count(*) over (partition by kind, subject) as n
      from c where latency_ms is not null
    ),
    pct as (
      select kind, subject,
        max(case when rn = (n * 50 + 99) / 100 then latency_ms end) as p50,
        max(case when rn = (n * 95 + 99) / 100 then latency_ms end) as p95
      from ranked group by kind, subject
    )
    insert into probe_daily (kind, subject, day, checks, successes, degraded, p50_ms, p95_ms, updated_at)
    select agg.kind, agg.subject, ${day}, agg.checks, agg.successes, agg.degraded, pct.p50, pct.p95, ${nowIso(now)}
    from agg left join pct on pct.kind = agg.kind and pct.subject = agg.subject
    where true
    on conflict (kind, subject, day) do update set
      checks = excluded.checks, successes = excluded.successes, degraded = excluded.degraded,
      p50_ms = excluded.p50_ms, p95_ms = excluded.p95_ms, updated_at = excluded.updated_at
  `);
}

/** Yesterday is rolled up again until a run at least this long after midnight has done it. */
const SETTLE_MS = 10 * 60 * 1000;

/**
 * The incremental roll-up the `*\/5` cron runs: every day from the last one rolled
 * up (which may have been partial) through today, and yesterday until it has settled
 * (probes that were in flight at midnight commit in the first minutes of the day). A
 * first run starts at the oldest raw check within the history window. Returns the
 * days it rewrote.
 */
export async function rollUp(db: Database, now = Date.now()): Promise<string[]> {
  const window = lastDays(now, HISTORY_DAYS);
  const [last] = await db.all<{ day: string | null }>(sql`select max(day) as day from probe_daily`);
  let start = last?.day;
  if (!start) {
    const [oldest] = await db.all<{ at: string | null }>(sql`
      select min(at) as at from (
        select min(checked_at) as at from component_checks where checked_at >= ${window[0]}
        union all
        select min(checked_at) from server_checks where checked_at >= ${window[0]}
      )`);
    start = oldest?.at?.slice(0, 10) ?? window.at(-1)!;
  }
  const yesterday = window.at(-2)!;
  if (start > yesterday) {
    const [settled] = await db.all<{ at: string | null }>(
      sql`select max(updated_at) as at from probe_daily where day = ${yesterday}`,
    );
    const settledAfter = nowIso(Date.parse(`${window.at(-1)}T00:00:00.000Z`) + SETTLE_MS);
    if (!settled?.at || settled.at < settledAfter) start = yesterday;
  }
  const days = window.filter((d) => d >= start);
  for (const day of days) await rollUpDay(db, day, now);
  return days;
}
