import { and, asc, eq, gt, isNotNull, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { jobs } from "../db/schema.ts";
import { nowIso, uuidv7 } from "../lib/ids.ts";
import { jobMessageSchema } from "./registry.ts";

export interface EnqueueItem {
  type: string;
  payload: Record<string, unknown>;
  ownerId?: string | null;
  /** A deterministic id makes enqueueing idempotent (e.g. fan-out children). */
  jobId?: string;
}

export interface JobMessage {
  job_id: string;
  type: string;
  payload: Record<string, unknown>;
  traceparent?: string | undefined;
  enqueued_at: string;
}

/** Rows per INSERT (D1 binds ≤ 100 parameters; a job row binds 9) and messages per sendBatch (Queues' max). */
const ROWS_PER_INSERT = 10;
const MESSAGES_PER_SEND = 100;

export type NewJobRow = typeof jobs.$inferInsert;

/**
 * The job rows and queue messages for `items`, validated. A mutation commits the
 * rows in its batch and sends the messages after commit (see lib/mutate.ts).
 */
export function jobRecords(
  items: EnqueueItem[],
  traceparent?: string,
): { rows: NewJobRow[]; messages: JobMessage[] } {
  const now = nowIso();
  const messages: JobMessage[] = items.map((item) => {
    const message = {
      job_id: item.jobId ?? uuidv7(),
      type: item.type,
      payload: item.payload,
      traceparent,
      enqueued_at: now,
    };
    // A malformed job is a bug in the caller: fail loudly before anything is written.
    jobMessageSchema.parse(message);
    return message;
  });
  const rows = messages.map((m, i) => ({
    id: m.job_id,
    type: m.type,
    status: "queued" as const,
    ownerId: items[i]!.ownerId ?? null,
    payload: m.payload,
    traceparent: traceparent ?? null,
    createdAt: now,
    updatedAt: now,
  }));
  return { rows, messages };
}

/** Sends job messages, in batches of the queue's maximum. */
export async function sendJobMessages(queue: Queue, messages: JobMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += MESSAGES_PER_SEND) {
    await queue.sendBatch(
      messages
        .slice(i, i + MESSAGES_PER_SEND)
        .map((body) => ({ body, contentType: "json" as const })),
    );
  }
}

/**
 * Records jobs as `queued` and sends their messages, for callers with nothing
 * else to commit (cron fan-out, job children). The row is written first, so a
 * consumer never sees a message without its job; a job whose deterministic id
 * already exists is not re-inserted, but its message is sent again only if it is
 * still queued (sending twice is harmless: consumers claim jobs atomically). A
 * send that fails leaves the rows queued for the unsent-job sweep.
 */
export async function enqueueJobs(
  db: Database,
  queue: Queue,
  items: EnqueueItem[],
  traceparent?: string,
): Promise<string[]> {
  if (!items.length) return [];
  const { rows, messages } = jobRecords(items, traceparent);
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await db
      .insert(jobs)
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .onConflictDoNothing();
  }
  let toSend = messages;
  if (items.some((i) => i.jobId)) {
    const ids = messages.map((m) => m.job_id);
    const queued = await db.all<{ id: string }>(
      sql`select id from ${jobs} where status = 'queued' and id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    );
    const stillQueued = new Set(queued.map((r) => r.id));
    toSend = messages.filter((m) => stillQueued.has(m.job_id));
  }
  await sendJobMessages(queue, toSend);
  return messages.map((m) => m.job_id);
}

/** Queued jobs older than this are presumed unsent and sent again by the sweep. */
export const UNSENT_AFTER_MS = 60_000;
/** Past this a queued job is left alone: whatever keeps it from running is not a lost send. */
const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
const SWEEP_LIMIT = 500;

/**
 * Re-sends jobs that were committed but whose message never reached the queue
 * (the send after commit failed, or the isolate died in between). Runs from the
 * `*\/5` cron. A job that was sent but is still waiting in a backlog gets a second
 * message; the consumer's atomic claim makes that harmless.
 */
export async function sweepUnsentJobs(
  db: Database,
  queue: Queue,
  now = Date.now(),
): Promise<number> {
  const stale = await db
    .select()
    .from(jobs)
    .where(
      and(
        eq(jobs.status, "queued"),
        isNotNull(jobs.payload),
        lt(jobs.createdAt, nowIso(now - UNSENT_AFTER_MS)),
        gt(jobs.createdAt, nowIso(now - GIVE_UP_AFTER_MS)),
      ),
    )
    .orderBy(asc(jobs.createdAt))
    .limit(SWEEP_LIMIT)
    .all();
  await sendJobMessages(
    queue,
    stale.map((job) => ({
      job_id: job.id,
      type: job.type,
      payload: job.payload ?? {},
      traceparent: job.traceparent ?? undefined,
      enqueued_at: nowIso(now),
    })),
  );
  return stale.length;
}
