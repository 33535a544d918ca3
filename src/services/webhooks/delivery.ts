import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { rowExists } from "../../db/mutation.ts";
import {
  jobs,
  users,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../../db/schema.ts";
import type { Config } from "../../env.ts";
import { keyringFor } from "../../lib/crypto.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import type { WriteUnit } from "../../lib/mutate.ts";
import type { Logger } from "../../observability/logger.ts";
import { increment } from "../../observability/metrics.ts";
import { CircuitOpenError, OutboundUrlRefusedError, resilientFetch } from "../../outbound/fetch.ts";
import { urlPolicy } from "../../outbound/url-policy.ts";
import { attemptJobId, DELIVER_JOB } from "./job-names.ts";
import {
  DISABLE_AFTER_FAILED_DELIVERIES,
  DISABLE_AFTER_MS,
  isRetryableStatus,
  parseRetryAfter,
  retryDelaySeconds,
} from "./schedule.ts";
import { signedHeaders, signingSecrets } from "./signing.ts";

export const DELIVERY_TIMEOUT_MS = 10_000;
/** How much of a receiver's answer the delivery log keeps. */
export const RESPONSE_EXCERPT_BYTES = 1024;
export const USER_AGENT = "edgepanel-webhooks/1";

export interface AttemptContext {
  jobId: string;
  deliveryId: string;
  attempt: number;
  db: Database;
  env: { JOBS: Queue };
  config: Config;
  logger: Logger;
  write(): WriteUnit;
}

interface HttpOutcome {
  statusCode: number | null;
  /** Null on a 2xx. */
  error: string | null;
  responseBody: string | null;
  retryAfterSeconds: number | null;
  /** A failure no later attempt can fix (a refused URL, a disabled endpoint). */
  final: boolean;
}

/** The first bytes of a body, decoded leniently; the rest is never read. */
async function excerpt(res: Response, limit = RESPONSE_EXCERPT_BYTES): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(size, limit));
  let offset = 0;
  for (const c of chunks) {
    const part = c.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes);
}

/** Error codes are coarse on purpose: the log is shown to the endpoint's owner. */
function failureCode(error: unknown): { error: string; final: boolean } {
  if (error instanceof OutboundUrlRefusedError) return { error: "url_refused", final: true };
  if (error instanceof CircuitOpenError) return { error: "circuit_open", final: false };
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return { error: "timeout", final: false };
  return { error: "network", final: false };
}

async function send(
  url: string,
  ownerId: string,
  body: string,
  headers: Record<string, string>,
  config: Config,
  traceparent: string | undefined,
): Promise<HttpOutcome> {
  try {
    const res = await resilientFetch(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "user-agent": USER_AGENT },
        body,
      },
      {
        purpose: "webhook",
        tenant: ownerId,
        urlPolicy: urlPolicy("webhook", config.ENVIRONMENT),
        timeoutMs: DELIVERY_TIMEOUT_MS,
        // The retry schedule is ours (minutes to hours apart), not the fetch's.
        retries: 0,
        traceparent,
      },
    );
    const ok = res.status >= 200 && res.status < 300;
    return {
      statusCode: res.status,
      error: ok ? null : `http_${res.status}`,
      responseBody: await excerpt(res).catch(() => null),
      retryAfterSeconds: parseRetryAfter(res.headers.get("retry-after")),
      final: false,
    };
  } catch (error) {
    return { statusCode: null, responseBody: null, retryAfterSeconds: null, ...failureCode(error) };
  }
}

/**
 * Makes attempt `attempt` of a delivery and records it: the attempt row, the
 * delivery's new state, the endpoint's health and (when another attempt is due)
 * the next attempt's job row commit in one batch, applied only if this attempt was
 * not recorded yet — so a redelivered queue message records nothing twice. The
 * next attempt's message is sent with the schedule's delay; its row's `created_at`
 * is the time it is due, so the unsent-job sweep only steps in once it is overdue.
 */
export async function attemptDelivery(ctx: AttemptContext): Promise<Record<string, unknown>> {
  const { db, deliveryId, attempt, config, logger } = ctx;
  // One read: the delivery, its endpoint and event, and whether this attempt is recorded.
  const row = await db
    .select({
      delivery: webhookDeliveries,
      endpoint: webhookEndpoints,
      body: webhookEvents.body,
      traceparent: webhookEvents.traceparent,
      recorded: sql<number>`exists (select 1 from ${webhookAttempts} where ${webhookAttempts.deliveryId} = ${deliveryId} and ${webhookAttempts.attempt} = ${attempt})`,
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, deliveryId))
    .get();
  if (!row) return { attempt, skipped: "delivery or endpoint deleted" };
  if (row.recorded) return { attempt, replayed: true };
  const { delivery, endpoint } = row;
  if (delivery.status !== "pending") return { attempt, skipped: `delivery ${delivery.status}` };

  const started = Date.now();
  let outcome: HttpOutcome;
  if (!endpoint.enabled) {
    outcome = {
      statusCode: null,
      error: "endpoint_disabled",
      responseBody: null,
      retryAfterSeconds: null,
      final: true,
    };
  } else {
    const secrets = await signingSecrets(await keyringFor(config), endpoint, started);
    const headers = signedHeaders(secrets, delivery.eventId, row.body, new Date(started));
    outcome = await send(
      endpoint.url,
      endpoint.ownerId,
      row.body,
      headers,
      config,
      row.traceparent ?? undefined,
    );
  }
  const finished = Date.now();
  const ok = outcome.error === null;
  const retryable =
    !ok && !outcome.final && (outcome.statusCode === null || isRetryableStatus(outcome.statusCode));
  const delay = retryable ? retryDelaySeconds(attempt, outcome.retryAfterSeconds) : null;
  const status = ok ? "succeeded" : delay !== null ? "pending" : "failed";
  const at = nowIso(finished);

  const unit = ctx
    .write()
    .onlyIf(
      sql`not exists (select 1 from ${webhookAttempts} where ${webhookAttempts.deliveryId} = ${deliveryId} and ${webhookAttempts.attempt} = ${attempt})`,
    );
  const cond = unit.precondition;
  let next: { jobId: string; dueAt: number; delay: number } | null = null;
  if (delay !== null) {
    next = { jobId: attemptJobId(deliveryId, attempt + 1), dueAt: finished + delay * 1000, delay };
    unit.record(
      jobs,
      [
        {
          id: next.jobId,
          type: DELIVER_JOB,
          status: "queued",
          ownerId: endpoint.ownerId,
          payload: { delivery_id: deliveryId, attempt: attempt + 1 },
          traceparent: row.traceparent,
          createdAt: nowIso(next.dueAt),
          updatedAt: at,
        },
      ],
      { ignoreDuplicates: true },
    );
  }
  if (endpoint.enabled) {
    unit.write(
      db
        .update(webhookEndpoints)
        .set(
          ok
            ? { consecutiveFailures: 0, failingSince: null }
            : {
                failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${at})`,
                consecutiveFailures:
                  status === "failed"
                    ? sql`${webhookEndpoints.consecutiveFailures} + 1`
                    : webhookEndpoints.consecutiveFailures,
              },
        )
        .where(and(eq(webhookEndpoints.id, endpoint.id), cond)),
    );
  }
  unit.write(
    db
      .update(webhookDeliveries)
      .set({
        status,
        attempts: attempt,
        nextAttemptAt: next ? nowIso(next.dueAt) : null,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        updatedAt: at,
        finishedAt: status === "pending" ? null : at,
      })
      .where(and(eq(webhookDeliveries.id, deliveryId), cond)),
  );
  const inserted = unit.write(
    db
      .insert(webhookAttempts)
      .values({
        id: uuidv7(started),
        deliveryId,
        attempt,
        statusCode: outcome.statusCode,
        durationMs: endpoint.enabled ? finished - started : null,
        responseBody: outcome.responseBody,
        error: outcome.error,
        attemptedAt: nowIso(started),
      })
      .onConflictDoNothing()
      .returning({ id: webhookAttempts.id }),
  );
  if (!(await unit.commit())(inserted).length) return { attempt, replayed: true };
  increment("webhook_deliveries_total", { outcome: status === "pending" ? "retried" : status });

  if (next) {
    try {
      await ctx.env.JOBS.send(
        {
          job_id: next.jobId,
          type: DELIVER_JOB,
          payload: { delivery_id: deliveryId, attempt: attempt + 1 },
          traceparent: row.traceparent ?? undefined,
          enqueued_at: at,
        },
        { contentType: "json", delaySeconds: next.delay },
      );
    } catch (error) {
      logger.error("next webhook attempt not sent; the unsent-job sweep sends it once due", {
        job_id: next.jobId,
        error: String(error),
      });
    }
  }
  let disabled = false;
  if (!ok && endpoint.enabled) disabled = await disableIfFailing(ctx, endpoint.id, finished);
  return {
    attempt,
    status,
    status_code: outcome.statusCode,
    error: outcome.error,
    next_attempt_at: next ? nowIso(next.dueAt) : null,
    ...(disabled ? { endpoint_disabled: true } : {}),
  };
}

/**
 * Disables an endpoint whose deliveries have failed for {@link DISABLE_AFTER_MS}
 * without a success, or whose last {@link DISABLE_AFTER_FAILED_DELIVERIES}
 * deliveries all failed: the change, its audit entry and the owner's e-mail
 * commit together, once (the batch's condition is "still enabled and failing").
 */
export async function disableIfFailing(
  ctx: Pick<AttemptContext, "db" | "write">,
  endpointId: string,
  now = Date.now(),
): Promise<boolean> {
  const e = webhookEndpoints;
  const row = await ctx.db
    .select({
      enabled: e.enabled,
      url: e.url,
      consecutiveFailures: e.consecutiveFailures,
      failingSince: e.failingSince,
      email: users.email,
    })
    .from(e)
    .innerJoin(users, eq(users.id, e.ownerId))
    .where(eq(e.id, endpointId))
    .get();
  if (!row?.enabled || row.failingSince === null) return false;
  const since = nowIso(now - DISABLE_AFTER_MS);
  const tooMany = row.consecutiveFailures >= DISABLE_AFTER_FAILED_DELIVERIES;
  if (!tooMany && row.failingSince > since) return false;

  const failing = sql`${e.id} = ${endpointId} and ${e.enabled} = 1 and (${e.consecutiveFailures} >= ${DISABLE_AFTER_FAILED_DELIVERIES} or ${e.failingSince} <= ${since})`;
  const unit = ctx.write().onlyIf(rowExists(e, failing));
  const reason = tooMany
    ? `its last ${row.consecutiveFailures} deliveries failed`
    : `every delivery since ${row.failingSince} failed`;
  unit.auditAs({
    actorType: "system",
    action: "webhook.disabled",
    resourceType: "webhook",
    resourceId: endpointId,
    summary: {
      reason: "failing",
      consecutive_failures: row.consecutiveFailures,
      failing_since: row.failingSince,
    },
  });
  unit.enqueue([
    {
      type: "email.send",
      // One e-mail per failing streak, however many attempts notice it.
      jobId: `${endpointId}.disabled.${row.failingSince}`,
      payload: {
        to: [row.email],
        subject: "[edgepanel] A webhook endpoint was disabled",
        text: `edgepanel disabled your webhook endpoint ${row.url} because ${reason}. Fix the receiver, then re-enable it with PATCH /api/v2/webhooks/${endpointId} {"enabled": true}; deliveries that failed meanwhile can be redelivered from its delivery log.`,
      },
    },
  ]);
  const now_ = nowIso(now);
  const updated = unit.write(
    ctx.db
      .update(e)
      .set({
        enabled: false,
        disabledReason: "failing",
        disabledAt: now_,
        version: sql`${e.version} + 1`,
        updatedAt: now_,
      })
      .where(failing)
      .returning({ id: e.id }),
  );
  return (await unit.commit())(updated).length > 0;
}
