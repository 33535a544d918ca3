import { and, desc, eq, gte } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type AlertMetric, type AlertRow, alerts, type IncidentImpact } from "../../db/schema.ts";
import type { IncidentDto } from "../../routes/status/schemas.ts";

/**
 * How an anomaly alert reads on the public page: in plain words, without the
 * internal figures (rates, z-scores) the admin API and the alert e-mail carry.
 */
const PUBLIC: Record<AlertMetric, { title: string; impact: IncidentImpact; message: string }> = {
  requests: {
    title: "Unusual traffic",
    impact: "none",
    message: "Automated monitoring sees an unusual request rate. We are watching it.",
  },
  errors_4xx: {
    title: "More requests refused than usual",
    impact: "minor",
    message:
      "Automated monitoring sees more refused requests (4xx) than usual. We are looking into it.",
  },
  errors_5xx: {
    title: "Elevated API error rate",
    impact: "major",
    message:
      "Automated monitoring sees more failed requests (5xx) than usual. We are looking into it.",
  },
};

const CLEARED = "The rate is back to its usual level.";

/** An alert as a status-page incident of the API: open → investigating; cleared → resolved. */
export function alertIncident(row: AlertRow): IncidentDto {
  const text = PUBLIC[row.metric];
  const raised = {
    id: `alert-${row.id}`,
    status: "investigating" as const,
    message: text.message,
    created_at: row.raisedAt,
  };
  return {
    id: `alert-${row.id}`,
    source: "alert",
    title: text.title,
    status: row.clearedAt ? "resolved" : "investigating",
    impact: text.impact,
    component: "api",
    tag: null,
    created_at: row.raisedAt,
    updated_at: row.clearedAt ?? row.raisedAt,
    resolved_at: row.clearedAt,
    updates: row.clearedAt
      ? [
          {
            id: `alert-${row.id}-cleared`,
            status: "resolved",
            message: CLEARED,
            created_at: row.clearedAt,
          },
          raised,
        ]
      : [raised],
  };
}

/** Open alerts, and alerts cleared since `since` (up to 20), as incidents. */
export async function alertIncidents(db: Database, since: string) {
  const [open, cleared] = await Promise.all([
    db.select().from(alerts).where(eq(alerts.status, "open")).orderBy(desc(alerts.id)).all(),
    db
      .select()
      .from(alerts)
      .where(and(eq(alerts.status, "cleared"), gte(alerts.clearedAt, since)))
      .orderBy(desc(alerts.clearedAt))
      .limit(20)
      .all(),
  ]);
  return { active: open.map(alertIncident), recent: cleared.map(alertIncident) };
}
