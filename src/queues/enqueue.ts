import { sql } from "drizzle-orm";
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

/** Rows per INSERT (D1 binds ≤ 100 parameters; a job row binds 8) and messages per sendBatch (Queues' max). */
const ROWS_PER_INSERT = 12;
const MESSAGES_PER_SEND = 100;

/**
 * Records jobs as `queued` and sends their messages. The row is written first, so a
 * consumer never sees a message without its job; a job whose deterministic id
 * already exists is not re-inserted, but its message is sent again only if it is
 * still queued (sending twice is harmless: consumers claim jobs atomically).
 */
export async function enqueueJobs(
  db: Database,
  queue: Queue,
  items: EnqueueItem[],
  traceparent?: string,
): Promise<string[]> {
  if (!items.length) return [];
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
    traceparent: traceparent ?? null,
    createdAt: now,
    updatedAt: now,
  }));
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
  for (let i = 0; i < toSend.length; i += MESSAGES_PER_SEND) {
    await queue.sendBatch(
      toSend
        .slice(i, i + MESSAGES_PER_SEND)
        .map((body) => ({ body, contentType: "json" as const })),
    );
  }
  return messages.map((m) => m.job_id);
}
