import { and, desc, eq, gte, inArray, lt, ne, or, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import {
  type IncidentImpact,
  type IncidentRow,
  type IncidentStatus,
  type IncidentUpdateRow,
  incidents,
  incidentUpdates,
  type StatusComponent,
} from "../../db/schema.ts";
import type { IncidentDto } from "../../routes/status/schemas.ts";

export interface IncidentInput {
  title: string;
  status: IncidentStatus;
  impact: IncidentImpact;
  component: StatusComponent | null;
  tag: string | null;
}

export const toIncidentDto = (row: IncidentRow, updates: IncidentUpdateRow[]): IncidentDto => ({
  id: row.id,
  source: "manual",
  title: row.title,
  status: row.status,
  impact: row.impact,
  component: row.component,
  tag: row.tag,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  resolved_at: row.resolvedAt,
  updates: updates.map((u) => ({
    id: u.id,
    status: u.status,
    message: u.message,
    created_at: u.createdAt,
  })),
});

/** Incidents with their timelines (newest update first), in the order given: one query for all updates. */
export async function withUpdates(db: Database, rows: IncidentRow[]): Promise<IncidentDto[]> {
  if (!rows.length) return [];
  const updates = await db
    .select()
    .from(incidentUpdates)
    .where(
      inArray(
        incidentUpdates.incidentId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(desc(incidentUpdates.createdAt), desc(incidentUpdates.id))
    .all();
  return rows.map((r) =>
    toIncidentDto(
      r,
      updates.filter((u) => u.incidentId === r.id),
    ),
  );
}

export const findIncident = (db: Database, id: string) =>
  db.select().from(incidents).where(eq(incidents.id, id)).get();

/**
 * A page of incidents, newest first (keyset on created_at, id). `open`: not yet
 * resolved; `resolved`: resolved.
 */
export async function listIncidents(
  db: Database,
  {
    status,
    limit,
    after,
  }: { status?: "open" | "resolved"; limit: number; after?: { createdAt: string; id: string } },
) {
  const where: (SQL | undefined)[] = [
    status === "open"
      ? ne(incidents.status, "resolved")
      : status === "resolved"
        ? eq(incidents.status, "resolved")
        : undefined,
    after
      ? or(
          lt(incidents.createdAt, after.createdAt),
          and(eq(incidents.createdAt, after.createdAt), lt(incidents.id, after.id)),
        )
      : undefined,
  ];
  const rows = await db
    .select()
    .from(incidents)
    .where(and(...where))
    .orderBy(desc(incidents.createdAt), desc(incidents.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  return { rows: page, more: rows.length > limit };
}

/** What the status page shows: every unresolved incident, and up to 20 resolved since `since`. */
export async function incidentsForPage(db: Database, since: string) {
  const [active, recent] = await Promise.all([
    db
      .select()
      .from(incidents)
      .where(ne(incidents.status, "resolved"))
      .orderBy(desc(incidents.createdAt), desc(incidents.id))
      .limit(50)
      .all(),
    db
      .select()
      .from(incidents)
      .where(and(eq(incidents.status, "resolved"), gte(incidents.resolvedAt, since)))
      .orderBy(desc(incidents.resolvedAt), desc(incidents.id))
      .limit(20)
      .all(),
  ]);
  const all = await withUpdates(db, [...active, ...recent]);
  return { active: all.slice(0, active.length), recent: all.slice(active.length) };
}
