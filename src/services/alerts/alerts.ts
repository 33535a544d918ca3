import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { rowExists } from "../../db/mutation.ts";
import { type AlertMetric, type AlertRow, alerts } from "../../db/schema.ts";
import type { Bindings } from "../../env.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { type Effects, systemWrite } from "../../lib/mutate.ts";
import { publishLive } from "../../live/publish.ts";
import type { Logger } from "../../observability/logger.ts";
import { purgeStatusPage } from "../status/purge.ts";
import { emitEvent } from "../webhooks/events.ts";

/** What raising or clearing an alert needs: the bindings a system write uses, and somewhere to finish work. */
export interface AlertDeps {
  env: Effects["env"] &
    Pick<Bindings, "LIVE" | "CACHE" | "CF_ZONE_ID" | "CF_API_TOKEN"> & {
      DB: D1Database;
      DATABASE_URL?: string | undefined;
    };
  ctx: { waitUntil(promise: Promise<unknown>): void };
  logger: Logger;
}

export interface RaiseAlertInput {
  metric: AlertMetric;
  /** The per-minute count that looked anomalous. */
  value: number;
  /** The EWMA mean and z-score it was judged by, and the threshold it crossed. */
  mean: number;
  zScore: number;
  threshold: number;
  /** The minute it happened in (epoch ms); defaults to now. */
  at?: number;
}

const METRIC_LABEL: Record<AlertMetric, string> = {
  requests: "Request rate",
  errors_4xx: "Client error (4xx) rate",
  errors_5xx: "Server error (5xx) rate",
};

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

export function alertMessage(input: RaiseAlertInput): string {
  return `${METRIC_LABEL[input.metric]} anomaly: ${round(input.value)} per minute against a usual ${round(input.mean)} (z-score ${round(input.zScore)}, threshold ${input.threshold})`;
}

/** The alert's public shape (API and webhook payload). */
export const toAlertDto = (row: AlertRow) => ({
  id: row.id,
  metric: row.metric,
  status: row.status,
  value: row.value,
  mean: row.mean,
  z_score: row.zScore,
  threshold: row.threshold,
  raised_at: row.raisedAt,
  cleared_at: row.clearedAt,
  message: row.message,
});

export type AlertDto = ReturnType<typeof toAlertDto>;

/**
 * Raises an alert for `metric`: in one write unit, the `alerts` row, an audit entry,
 * the `alert.raised` webhook event (admins' endpoints) and an e-mail to every admin
 * (an `email.bulk` job). At most one alert per metric is open (a unique index):
 * raising again while one is open commits nothing and returns the open one, so a
 * detector that retries cannot alert twice for one episode.
 */
export async function raiseAlert(
  deps: AlertDeps,
  input: RaiseAlertInput,
  retried = false,
): Promise<{ alert: AlertRow; raised: boolean }> {
  const at = input.at ?? Date.now();
  const row: AlertRow = {
    id: uuidv7(at),
    metric: input.metric,
    status: "open",
    value: input.value,
    mean: round(input.mean, 3),
    zScore: round(input.zScore, 3),
    threshold: input.threshold,
    message: alertMessage(input),
    raisedAt: nowIso(at),
    clearedAt: null,
  };
  const unit = systemWrite(deps.env, deps.ctx, deps.logger);
  unit.auditAs({
    actorType: "system",
    action: "alert.raised",
    resourceType: "alert",
    resourceId: row.id,
    summary: { metric: row.metric, value: row.value, mean: row.mean, z_score: row.zScore },
  });
  unit.enqueue([
    {
      type: "email.bulk",
      // Derived from the alert: a retried raise cannot mail twice.
      jobId: `alert.${row.id}.email`,
      payload: {
        role: "admin",
        subject: `[edgepanel] ${METRIC_LABEL[row.metric]} anomaly`,
        text: `${row.message}.\n\nRaised at ${row.raisedAt}. It clears by itself after five calm minutes; see GET /api/v2/admin/alerts.`,
      },
    },
  ]);
  emitEvent(unit, "alert.raised", toAlertDto(row), { ownerId: null });
  unit.write(unit.db.insert(alerts).values(row));
  // Open alerts are incidents on the public status page: show it now, not when its
  // edge-cached copy expires.
  unit.afterCommit(() => purgeStatusPage(deps.env, deps.env));
  try {
    await unit.commit();
    deps.ctx.waitUntil(
      publishLive(deps.env, {
        type: "alert.raised",
        data: toAlertDto(row),
        at: row.raisedAt,
        key: `alert.raised:${row.id}`,
      }),
    );
    return { alert: row, raised: true };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const open = await openAlert(unit.db, input.metric);
    if (open) return { alert: open, raised: false };
    // Cleared between the failed insert and this read: try once more, then give up.
    if (retried) throw error;
    return raiseAlert(deps, input, true);
  }
}

/**
 * Clears the open alert of `metric`: the row turns `cleared` and an audit entry is
 * recorded, in one batch, only if it is still open (so two clearers record one
 * entry). Returns the cleared row, or null when none was open.
 */
export async function clearAlert(
  deps: AlertDeps,
  metric: AlertMetric,
  at = Date.now(),
): Promise<AlertRow | null> {
  const unit = systemWrite(deps.env, deps.ctx, deps.logger);
  const open = await openAlert(unit.db, metric);
  if (!open) return null;
  const stillOpen = and(eq(alerts.id, open.id), eq(alerts.status, "open"))!;
  unit.onlyIf(rowExists(alerts, stillOpen));
  unit.auditAs({
    actorType: "system",
    action: "alert.cleared",
    resourceType: "alert",
    resourceId: open.id,
    summary: { metric, raised_at: open.raisedAt },
  });
  const slot = unit.write(
    unit.db
      .update(alerts)
      .set({ status: "cleared", clearedAt: nowIso(at) })
      .where(stillOpen)
      .returning(),
  );
  unit.afterCommit(() => purgeStatusPage(deps.env, deps.env));
  const read = await unit.commit();
  const cleared = read(slot)[0] ?? null;
  if (cleared)
    deps.ctx.waitUntil(
      publishLive(deps.env, {
        type: "alert.cleared",
        data: toAlertDto(cleared),
        at: cleared.clearedAt ?? nowIso(at),
        key: `alert.cleared:${cleared.id}`,
      }),
    );
  return cleared;
}

export async function openAlert(db: Database, metric: AlertMetric): Promise<AlertRow | null> {
  const row = await db
    .select()
    .from(alerts)
    .where(and(eq(alerts.metric, metric), eq(alerts.status, "open")))
    .get();
  return row ?? null;
}

/** A page of alerts, newest first, optionally by status; `before` is the last id of the previous page. */
export async function listAlerts(
  db: Database,
  { status, limit, before }: { status?: "open" | "cleared"; limit: number; before?: string },
): Promise<{ rows: AlertRow[]; hasMore: boolean }> {
  const conditions = [
    status ? eq(alerts.status, status) : undefined,
    before ? lt(alerts.id, before) : undefined,
  ].filter((c): c is SQL => c !== undefined);
  const rows = await db
    .select()
    .from(alerts)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(alerts.id))
    .limit(limit + 1)
    .all();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}
