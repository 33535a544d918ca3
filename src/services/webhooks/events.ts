import { and, eq, getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../../db/client.ts";
import {
  jobs,
  users,
  WEBHOOK_TEST_EVENT,
  type WebhookEventType,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../../db/schema.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import type { WriteUnit } from "../../lib/mutate.ts";
import { type JobMessage, sendJobMessages } from "../../queues/enqueue.ts";
import { attemptJobId, DELIVER_JOB } from "./job-names.ts";

/** What every delivery of an event sends: the Standard Webhooks payload shape. */
export interface EventEnvelope<T = Record<string, unknown>> {
  /** Also the `webhook-id` header: the same for every attempt and redelivery. */
  id: string;
  type: WebhookEventType | typeof WEBHOOK_TEST_EVENT;
  /** When the event happened (RFC 3339). */
  timestamp: string;
  data: T;
}

export interface EmitOptions {
  /**
   * Whose resource the event is about. Endpoints of that user receive it, and those
   * of admins (who may read every resource); `null` for system events (backups,
   * alerts), which only admins' endpoints receive.
   */
  ownerId: string | null;
  /**
   * When the event counts as having happened. Defaults to the mutation's
   * precondition, which is only meaningful before its write: emit where you record
   * the audit entry, before `unit.write(...)`, or pass a post-condition here.
   */
  when?: SQL;
}

/**
 * Emits a webhook event as part of `unit`'s batch: the event row and one delivery
 * (with its `webhook.deliver` job row) per enabled endpoint subscribed to `type`
 * are written in the same transaction as the change, under the same condition, so
 * an event exists exactly when the change committed. The delivery jobs are sent
 * once the batch has committed; if that send is lost, the cron's unsent-job sweep
 * sends them a minute later. Returns the event id (also its `webhook-id`).
 *
 * @example
 * unit.audit({ action: "backup.completed", … });
 * emitEvent(unit, "backup.completed", { id: backup.id, size: backup.size }, { ownerId: null });
 * unit.write(markBackupDone(unit.db, backup.id));
 * await unit.commit();
 */
export function emitEvent(
  unit: WriteUnit,
  type: WebhookEventType,
  data: Record<string, unknown>,
  options: EmitOptions,
): string {
  const now = Date.now();
  const envelope: EventEnvelope = { id: uuidv7(now), type, timestamp: nowIso(now), data };
  const when = options.when ?? unit.precondition;
  // Recorded like an audit entry: refused (loudly) after the write without a `when`.
  unit.record(
    webhookEvents,
    [
      {
        id: envelope.id,
        type,
        ownerId: options.ownerId,
        body: JSON.stringify(envelope),
        traceparent: unit.traceparent ?? null,
        createdAt: envelope.timestamp,
      },
    ],
    when ? { when } : {},
  );
  // The fan-out reads the endpoints inside the transaction: no round trip before
  // the batch, and the subscribers are exactly those at commit time.
  unit.write(fanOutDeliveries(unit.db, envelope.id, type, options.ownerId, now, when));
  unit.write(deliveryJobs(unit.db, envelope.id, unit.traceparent, now));
  const { env } = unit.effects;
  unit.afterCommit(() => sendEventJobs(unit.db, env.JOBS, envelope.id));
  return envelope.id;
}

/**
 * A UUIDv7 built in SQL for each fanned-out row: the event's millisecond and
 * version from `prefix`, random bits from SQLite. Ids stay time-ordered, which the
 * delivery log's keyset pagination relies on.
 */
const sqlUuidv7 = (prefix: string) =>
  sql`${prefix} || lower(substr(hex(randomblob(2)), 2)) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || lower(substr(hex(randomblob(2)), 2)) || '-' || lower(hex(randomblob(6)))`;

/**
 * The select list of an `INSERT … SELECT` into `table`: one expression per column,
 * in the table's column order (what drizzle's insert lists), NULL for those not given.
 */
function columnsOf<T extends SQLiteTable>(
  table: T,
  values: Partial<Record<keyof T["$inferInsert"], SQL | string | number | null>>,
): SQL {
  const list = Object.entries(getTableColumns(table))
    .filter(([, column]) => column.generated === undefined)
    .map(([key]) => {
      const value = (values as Record<string, SQL | string | number | null | undefined>)[key];
      if (value === undefined || value === null) return sql`null`;
      return is(value, SQL) ? value : sql`${value}`;
    });
  return sql.join(list, sql`, `);
}

/** `INSERT … SELECT`: one pending delivery per enabled, subscribed endpoint that may see the event. */
function fanOutDeliveries(
  db: Database,
  eventId: string,
  type: WebhookEventType,
  ownerId: string | null,
  now: number,
  when: SQL | undefined,
) {
  const at = nowIso(now);
  const e = webhookEndpoints;
  const columns = columnsOf(webhookDeliveries, {
    id: sqlUuidv7(uuidv7(now).slice(0, 15)),
    eventId,
    endpointId: sql`${e.id}`,
    eventType: type,
    status: "pending",
    attempts: 0,
    nextAttemptAt: at,
    createdAt: at,
    updatedAt: at,
  });
  return db.insert(webhookDeliveries).select(
    sql`select ${columns} from ${e} join ${users} on ${users.id} = ${e.ownerId}
      where ${e.enabled} = 1 and ${users.disabledAt} is null
        and (${e.ownerId} = ${ownerId} or ${users.role} = 'admin')
        and exists (select 1 from json_each(${e.events}) where value in (${type}, '*'))
        ${when ? sql`and ${when}` : sql``}`,
  );
}

/** The first attempt's job row for every delivery of the event (written in the same batch). */
function deliveryJobs(db: Database, eventId: string, traceparent: string | undefined, now: number) {
  const d = webhookDeliveries;
  const at = nowIso(now);
  const columns = columnsOf(jobs, {
    id: sql`${d.id} || '.1'`,
    type: DELIVER_JOB,
    status: "queued",
    ownerId: sql`${webhookEndpoints.ownerId}`,
    attempts: 0,
    payload: sql`json_object('delivery_id', ${d.id}, 'attempt', 1)`,
    traceparent: traceparent ?? null,
    createdAt: at,
    updatedAt: at,
  });
  return db.insert(jobs).select(
    sql`select ${columns} from ${d} join ${webhookEndpoints} on ${webhookEndpoints.id} = ${d.endpointId}
      where ${d.eventId} = ${eventId}`,
  );
}

/** Sends the queued first-attempt jobs of an event (after its batch committed). */
export async function sendEventJobs(db: Database, queue: Queue, eventId: string): Promise<number> {
  const rows = await db
    .select({ id: jobs.id, payload: jobs.payload, traceparent: jobs.traceparent })
    .from(webhookDeliveries)
    .innerJoin(jobs, eq(jobs.id, sql`${webhookDeliveries.id} || '.1'`))
    .where(and(eq(webhookDeliveries.eventId, eventId), eq(jobs.status, "queued")))
    .all();
  const now = nowIso();
  const messages: JobMessage[] = rows.map((r) => ({
    job_id: r.id,
    type: DELIVER_JOB,
    payload: r.payload ?? {},
    traceparent: r.traceparent ?? undefined,
    enqueued_at: now,
  }));
  await sendJobMessages(queue, messages);
  return messages.length;
}

/**
 * Adds one delivery of an existing event to one endpoint (a redelivery, or the
 * test event), with its first attempt's job; the message is sent after commit.
 */
export function queueDelivery(
  unit: WriteUnit,
  input: {
    eventId: string;
    eventType: string;
    endpointId: string;
    ownerId: string;
    redeliveryOf?: string;
  },
): { deliveryId: string; jobId: string } {
  const now = nowIso();
  const deliveryId = uuidv7();
  unit.record(webhookDeliveries, [
    {
      id: deliveryId,
      eventId: input.eventId,
      endpointId: input.endpointId,
      eventType: input.eventType,
      status: "pending",
      attempts: 0,
      nextAttemptAt: now,
      redeliveryOf: input.redeliveryOf ?? null,
      createdAt: now,
      updatedAt: now,
    },
  ]);
  const [jobId] = unit.enqueue([
    {
      type: DELIVER_JOB,
      jobId: attemptJobId(deliveryId, 1),
      ownerId: input.ownerId,
      payload: { delivery_id: deliveryId, attempt: 1 },
    },
  ]);
  return { deliveryId, jobId: jobId! };
}

/** Records a `webhook.test` event for one endpoint and queues its delivery. */
export function queueTestEvent(
  unit: WriteUnit,
  endpoint: { id: string; ownerId: string },
): { eventId: string; deliveryId: string; jobId: string } {
  const now = Date.now();
  const envelope: EventEnvelope = {
    id: uuidv7(now),
    type: WEBHOOK_TEST_EVENT,
    timestamp: nowIso(now),
    data: { webhook_id: endpoint.id, message: "A test event from edgepanel" },
  };
  unit.record(webhookEvents, [
    {
      id: envelope.id,
      type: envelope.type,
      ownerId: endpoint.ownerId,
      body: JSON.stringify(envelope),
      traceparent: unit.traceparent ?? null,
      createdAt: envelope.timestamp,
    },
  ]);
  const queued = queueDelivery(unit, {
    eventId: envelope.id,
    eventType: envelope.type,
    endpointId: endpoint.id,
    ownerId: endpoint.ownerId,
  });
  return { eventId: envelope.id, ...queued };
}
