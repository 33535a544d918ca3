import { and, eq, inArray, lt, or, sql } from "drizzle-orm";
import { getDatabase } from "../db/client.ts";
import { findJob } from "../db/queries/jobs.ts";
import { type JobRow, jobs } from "../db/schema.ts";
import { type Bindings, loadConfig } from "../env.ts";
import { nowIso } from "../lib/ids.ts";
import { systemWrite } from "../lib/mutate.ts";
import { flusher } from "../observability/flush.ts";
import { createLogger } from "../observability/logger.ts";
import { increment, observe } from "../observability/metrics.ts";
import { reportDeadLetter, reportJobFailure } from "../observability/sentry.ts";
import { enqueueJobs, type JobMessage } from "./enqueue.ts";
import { jobMessageSchema, jobsByType } from "./registry.ts";

/** Deliveries per message: 1 + max_retries in wrangler.toml. */
export const MAX_DELIVERIES = 5;
/** A job left `running` longer than this (crashed consumer) may be claimed again. */
const RUNNING_LEASE_MS = 5 * 60_000;

/** Retry delay for delivery n (1-based): 10 s, 20 s, 40 s … ≤ 10 min, ±25 % jitter. */
export function retryDelaySeconds(attempt: number, random = Math.random): number {
  const base = Math.min(600, 10 * 2 ** (attempt - 1));
  return Math.max(1, Math.round(base * (0.75 + random() * 0.5)));
}

const errorText = (error: unknown) =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1000);

/** Claims a job for this delivery: exactly one delivery runs it at a time. */
async function claim(
  db: ReturnType<typeof getDatabase>,
  id: string,
  attempt: number,
): Promise<JobRow | undefined> {
  const now = Date.now();
  return db
    .update(jobs)
    .set({ status: "running", attempts: attempt, startedAt: nowIso(now), updatedAt: nowIso(now) })
    .where(
      and(
        eq(jobs.id, id),
        or(
          inArray(jobs.status, ["queued", "failed"]),
          and(eq(jobs.status, "running"), lt(jobs.startedAt, nowIso(now - RUNNING_LEASE_MS))),
        ),
      ),
    )
    .returning()
    .get();
}

/**
 * The JOBS consumer: validates each message, claims its job row, dispatches to the
 * handler for its type, and records the outcome. A failure is retried with
 * exponential backoff; the last one marks the job `dead` and sends the message to
 * the dead-letter queue. A redelivered message whose job already finished is
 * acknowledged without running anything again.
 */
async function consumeJobs(
  batch: MessageBatch<unknown>,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  const db = getDatabase(env);
  const config = loadConfig(env);
  for (const message of batch.messages) {
    const parsed = jobMessageSchema.safeParse(message.body);
    const base = createLogger({ queue: batch.queue, message_id: message.id }, config.LOG_LEVEL);
    if (!parsed.success) {
      // A message that can never be valid would only bounce to the DLQ: drop it loudly.
      base.error("invalid job message dropped", {
        issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
      });
      increment("jobs_total", { type: "invalid", outcome: "dropped" });
      message.ack();
      continue;
    }
    const body = parsed.data as JobMessage;
    const logger = base.child({
      job_id: body.job_id,
      type: body.type,
      trace_id: body.traceparent?.split("-")[1],
    });
    const job = await claim(db, body.job_id, message.attempts);
    if (!job) {
      const row = await findJob(db, body.job_id);
      if (row?.status === "running") {
        message.retry({ delaySeconds: 30 }); // another delivery is at work: check back later
      } else {
        logger.info("job already finished; redelivery acknowledged", {
          status: row?.status ?? "missing",
        });
        message.ack();
      }
      continue;
    }
    const definition = jobsByType.get(body.type)!;
    const started = Date.now();
    observe(
      "queue_lag_seconds",
      { type: body.type },
      Math.max(0, started - Date.parse(body.enqueued_at)) / 1000,
    );
    try {
      const result = await definition.handle({
        jobId: body.job_id,
        payload: body.payload,
        attempt: message.attempts,
        traceparent: body.traceparent,
        env,
        config,
        db,
        logger,
        write: () => systemWrite(env, ctx, logger, body.traceparent),
        enqueue: (items) =>
          enqueueJobs(
            db,
            env.JOBS,
            items.map((i) => ({ ownerId: job.ownerId, ...i })),
            body.traceparent,
          ),
      });
      const now = nowIso();
      await db
        .update(jobs)
        .set({ status: "succeeded", result, lastError: null, finishedAt: now, updatedAt: now })
        .where(eq(jobs.id, job.id));
      observe("job_duration_seconds", { type: body.type }, (Date.now() - started) / 1000);
      increment("jobs_total", { type: body.type, outcome: "succeeded" });
      logger.info("job succeeded", { attempt: message.attempts });
      message.ack();
    } catch (error) {
      const last = message.attempts >= MAX_DELIVERIES;
      const now = nowIso();
      await db
        .update(jobs)
        .set({
          status: last ? "dead" : "failed",
          lastError: errorText(error),
          updatedAt: now,
          ...(last ? { finishedAt: now } : {}),
        })
        .where(eq(jobs.id, job.id));
      observe("job_duration_seconds", { type: body.type }, (Date.now() - started) / 1000);
      increment("jobs_total", { type: body.type, outcome: last ? "dead" : "retried" });
      reportJobFailure(env, error, {
        type: body.type,
        jobId: body.job_id,
        attempt: message.attempts,
        last,
      });
      logger.warn(
        last ? "job failed for the last time; dead-lettering" : "job failed; will retry",
        {
          attempt: message.attempts,
          error: errorText(error),
        },
      );
      // On the last delivery, retry() hands the message to the dead-letter queue.
      message.retry(last ? {} : { delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}

/** The dead-letter consumer: makes sure the job reads `dead` and raises an audit event. */
async function consumeDeadLetters(
  batch: MessageBatch<unknown>,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  const logger = createLogger({ queue: batch.queue }, loadConfig(env).LOG_LEVEL);
  for (const message of batch.messages) {
    const body = message.body as Partial<JobMessage> | null;
    const jobId = typeof body?.job_id === "string" ? body.job_id : null;
    const unit = systemWrite(env, ctx, logger);
    unit.auditAs({
      actorType: "system",
      action: "job.dead_lettered",
      resourceType: "job",
      resourceId: jobId,
      summary: { type: typeof body?.type === "string" ? body.type : "unknown", queue: batch.queue },
    });
    if (jobId) {
      const now = nowIso();
      unit.write(
        unit.db
          .update(jobs)
          .set({
            status: "dead",
            finishedAt: sql`coalesce(${jobs.finishedAt}, ${now})`,
            updatedAt: now,
          })
          .where(eq(jobs.id, jobId)),
      );
    }
    await unit.commit();
    increment("jobs_dead_lettered_total");
    reportDeadLetter(env, { type: typeof body?.type === "string" ? body.type : "unknown", jobId });
    message.ack();
  }
}

/** Routes a batch to the right consumer by queue name. */
export async function handleQueue(
  batch: MessageBatch<unknown>,
  env: Bindings,
  ctx: ExecutionContext,
): Promise<void> {
  try {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env, ctx);
    else await consumeJobs(batch, env, ctx);
  } finally {
    // The batch's job counts go to the METRICS object after the batch, off its path.
    ctx.waitUntil(flusher.flush(env.METRICS));
  }
}
