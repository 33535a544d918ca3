import { and, asc, eq, gte, inArray, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import {
  probeDaily,
  STATUS_COMPONENTS,
  type StatusComponent,
  statusPageTags,
} from "../../db/schema.ts";
import { nowIso } from "../../lib/ids.ts";
import type { DayDto, IncidentDto, StatusDto, SubjectDto } from "../../routes/status/schemas.ts";
import { incidentsForPage } from "../incidents/incidents.ts";
import { alertIncidents } from "./alerts.ts";
import { HISTORY_DAYS, lastDays } from "./rollup.ts";

export const COMPONENT_NAMES: Record<StatusComponent, string> = {
  api: "API",
  database: "Database",
  cache: "Cache",
  storage: "File storage",
  queue: "Job queue",
};

/** A day below this uptime is an outage day on the bars; above it (but not 100 %), partial. */
export const PARTIAL_UPTIME = 0.95;
/** Past incidents shown: the newest resolved in the last 90 days. */
const RECENT_LIMIT = 20;
/** A component whose last check is older than this is `unknown` (the cron probes every 5 minutes). */
const STALE_MS = 15 * 60 * 1000;

type State = SubjectDto["state"];
type DailyRow = typeof probeDaily.$inferSelect;

const ratio = (successes: number, checks: number) =>
  checks ? Math.round((successes / checks) * 100_000) / 100_000 : null;

export function dayState(checks: number, successes: number): DayDto["state"] {
  if (!checks) return "none";
  if (successes === checks) return "up";
  return successes / checks >= PARTIAL_UPTIME ? "partial" : "outage";
}

/** The subject's 90 days (zero-filled), uptimes and latest latency, from its roll-up rows. */
export function summarise(
  subject: Pick<SubjectDto, "id" | "kind" | "name" | "state">,
  rows: DailyRow[],
  days: string[],
): SubjectDto {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const series: DayDto[] = days.map((date) => {
    const r = byDay.get(date);
    const checks = r?.checks ?? 0;
    const successes = r?.successes ?? 0;
    return {
      date,
      checks,
      successes,
      uptime: ratio(successes, checks),
      p50_ms: r?.p50Ms ?? null,
      p95_ms: r?.p95Ms ?? null,
      state: dayState(checks, successes),
    };
  });
  const uptime = (n: number) => {
    const window = series.slice(-n);
    return ratio(
      window.reduce((a, d) => a + d.successes, 0),
      window.reduce((a, d) => a + d.checks, 0),
    );
  };
  // Today's figures rest on a few hours of checks: a complete day says more.
  const measured =
    series.slice(0, -1).findLast((d) => d.p50_ms !== null) ??
    series.findLast((d) => d.p50_ms !== null);
  return {
    ...subject,
    uptime_90d: uptime(HISTORY_DAYS),
    uptime_30d: uptime(30),
    latency: measured
      ? { date: measured.date, p50_ms: measured.p50_ms, p95_ms: measured.p95_ms }
      : null,
    days: series,
  };
}

const RANK: Record<State, number> = { unknown: 0, operational: 1, degraded: 2, outage: 3 };
const worst = (states: State[]): State =>
  states.reduce<State>((w, s) => (RANK[s] > RANK[w] ? s : w), "unknown");

/** Current state of a tag from its servers' statuses: all failing is an outage, some is degraded. */
function tagState(counts: Record<string, number>): State {
  const up = counts.up ?? 0;
  const degraded = counts.degraded ?? 0;
  const down = counts.down ?? 0;
  if (!up && !degraded && !down) return "unknown";
  if (down && !up && !degraded) return "outage";
  return down || degraded ? "degraded" : "operational";
}

/** Everything the public status page shows, as `/status.json` serves it. */
export async function loadStatus(db: Database, now = Date.now()): Promise<StatusDto> {
  const days = lastDays(now, HISTORY_DAYS);
  const since = nowIso(now - HISTORY_DAYS * 24 * 60 * 60 * 1000);
  const published = await db
    .select()
    .from(statusPageTags)
    .orderBy(asc(statusPageTags.displayName))
    .all();
  const tagNames = published.map((t) => t.tag);
  const [daily, latest, tagCounts, incidents, alerts] = await Promise.all([
    // Two reads on the primary key (kind, subject, day): per-server rows, the bulk of
    // the table, are never scanned.
    Promise.all([
      db
        .select()
        .from(probeDaily)
        .where(and(eq(probeDaily.kind, "component"), gte(probeDaily.day, days[0]!)))
        .all(),
      tagNames.length
        ? db
            .select()
            .from(probeDaily)
            .where(
              and(
                eq(probeDaily.kind, "tag"),
                inArray(probeDaily.subject, tagNames),
                gte(probeDaily.day, days[0]!),
              ),
            )
            .all()
        : Promise.resolve([]),
    ]).then(([c, t]) => [...c, ...t]),
    db.all<{ component: StatusComponent; status: "up" | "degraded" | "down" }>(sql`
      select component, status from (
        select component, status,
          row_number() over (partition by component order by checked_at desc) as rn
        from component_checks where checked_at >= ${nowIso(now - STALE_MS)}
      ) where rn = 1`),
    tagNames.length
      ? db.all<{ tag: string; status: string; n: number }>(sql`
          select t.value as tag, s.status as status, count(*) as n
          from servers s, json_each(s.tags) t
          where t.value in (${sql.join(
            tagNames.map((t) => sql`${t}`),
            sql`, `,
          )})
          group by t.value, s.status`)
      : Promise.resolve([]),
    incidentsForPage(db, since),
    alertIncidents(db, since),
  ]);
  const current = new Map(latest.map((l) => [l.component, l.status]));
  const rowsOf = (kind: string, subject: string) =>
    daily.filter((r) => r.kind === kind && r.subject === subject);
  const components = STATUS_COMPONENTS.map((id) => {
    const s = current.get(id);
    const state: State =
      s === "up"
        ? "operational"
        : s === "degraded"
          ? "degraded"
          : s === "down"
            ? "outage"
            : "unknown";
    return summarise(
      { id, kind: "component", name: COMPONENT_NAMES[id], state },
      rowsOf("component", id),
      days,
    );
  });
  const tags = published.map((t) => {
    const counts: Record<string, number> = {};
    for (const c of tagCounts) if (c.tag === t.tag) counts[c.status] = c.n;
    return summarise(
      { id: t.tag, kind: "tag", name: t.displayName, state: tagState(counts) },
      rowsOf("tag", t.tag),
      days,
    );
  });
  const active = [...alerts.active, ...incidents.active];
  // Resolved incidents and cleared alerts, one history, newest first.
  const recent = [...incidents.recent, ...alerts.recent]
    .sort((a, b) => (b.resolved_at ?? "").localeCompare(a.resolved_at ?? ""))
    .slice(0, RECENT_LIMIT);
  // An admin's word beats the probes: a major incident marks what it affects degraded
  // at least, a critical one as an outage, even while the checks still pass.
  const floor = (i: IncidentDto): State =>
    i.impact === "critical" ? "outage" : i.impact === "major" ? "degraded" : "unknown";
  for (const s of [...components, ...tags])
    s.state = worst([
      s.state,
      ...active
        .filter((i) => (s.kind === "component" ? i.component === s.id : i.tag === s.id))
        .map(floor),
    ]);
  const general = active.filter((i) => !i.component && !i.tag).map(floor);
  return {
    generated_at: nowIso(now),
    state: worst([...components, ...tags].map((s) => s.state).concat(general)),
    components,
    tags,
    incidents: { active, recent },
  };
}
