import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { serverChecks, servers } from "../../db/schema.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { publishServerChange } from "../../live/server-events.ts";
import { CircuitOpenError, OutboundUrlRefusedError, resilientFetch } from "../../outbound/fetch.ts";
import { type UrlPolicy, urlPolicy } from "../../outbound/url-policy.ts";
import { invalidateServer } from "../../services/servers/invalidate.ts";
import { latencyBucket, type ProbeError } from "../../services/servers/probe-outcome.ts";
import { emitEvent } from "../../services/webhooks/events.ts";
import { defineJob } from "../define.ts";

/** A probe slower than this is `degraded`, not `up`. */
export const DEGRADED_THRESHOLD_MS = 1_000;
export const PROBE_TIMEOUT_MS = 5_000;

type Outcome = {
  status: "up" | "degraded" | "down";
  httpStatus: number | null;
  /** Exact, for administrators; owners see only its bucket (probe-outcome.ts). */
  latencyMs: number | null;
  error: ProbeError | null;
};

/**
 * GETs a health-check URL as `owner`: the outbound URL policy is checked again
 * here (by resilientFetch, before anything is sent), redirects are not followed,
 * and the breaker is the owner's own for that host.
 */
async function probe(
  url: string,
  owner: string,
  policy: UrlPolicy,
  traceparent: string | undefined,
): Promise<Outcome> {
  const started = Date.now();
  try {
    const res = await resilientFetch(
      url,
      { method: "GET" },
      {
        purpose: "probe",
        tenant: owner,
        urlPolicy: policy,
        timeoutMs: PROBE_TIMEOUT_MS,
        retries: 1,
        traceparent,
      },
    );
    await res.body?.cancel();
    const latencyMs = Date.now() - started;
    if (res.status >= 400)
      return { status: "down", httpStatus: res.status, latencyMs, error: "http_error" };
    return {
      status: latencyMs > DEGRADED_THRESHOLD_MS ? "degraded" : "up",
      httpStatus: res.status,
      latencyMs,
      error: null,
    };
  } catch (error) {
    // Timeouts and every kind of network failure are one code: telling them apart
    // would say whether a port is filtered or closed.
    const reason: ProbeError =
      error instanceof OutboundUrlRefusedError
        ? "not_allowed"
        : error instanceof CircuitOpenError
          ? "circuit_open"
          : "unreachable";
    return { status: "down", httpStatus: null, latencyMs: null, error: reason };
  }
}

/** The `server.status_changed` event's data: the transition and the check that saw it. */
const statusChange = (
  server: { id: string; name: string; host: string },
  previous: string,
  outcome: Outcome,
  checkedAt: string,
) => ({
  id: server.id,
  name: server.name,
  host: server.host,
  status: outcome.status,
  previous_status: previous,
  http_status: outcome.httpStatus,
  error: outcome.error,
  checked_at: checkedAt,
});

/**
 * Probes a server's health_check_url, records the check, updates the server's
 * status and, when it changed, enqueues a notification. The check row is keyed by
 * job id: a redelivered probe finds its check and changes nothing again.
 */
export const serverProbeJob = defineJob({
  type: "server.probe",
  payload: z.object({ server_id: z.string() }),
  async handle({ jobId, payload, db, env, config, logger, traceparent, write }) {
    const existing = await db
      .select()
      .from(serverChecks)
      .where(eq(serverChecks.jobId, jobId))
      .get();
    if (existing) return { status: existing.status, replayed: true };
    const server = await db.select().from(servers).where(eq(servers.id, payload.server_id)).get();
    if (!server) return { skipped: "server deleted" };
    if (!server.healthCheckUrl) return { skipped: "no health_check_url" };

    const outcome = await probe(
      server.healthCheckUrl,
      server.ownerId,
      urlPolicy("probe", config.ENVIRONMENT),
      traceparent,
    );
    if (outcome.error === "not_allowed")
      logger.warn("probe refused by the outbound URL policy", { server_id: server.id });
    const now = nowIso();
    const previous = server.status;
    // One batch: the check row, the server's new status and, when the status
    // changed, the notification job — applied only if no check was recorded for
    // this job yet, so a redelivered probe changes nothing twice.
    const unit = write().onlyIf(
      sql`not exists (select 1 from ${serverChecks} where ${serverChecks.jobId} = ${jobId})`,
    );
    if (previous !== outcome.status) {
      unit.enqueue([
        {
          type: "server.status_changed",
          jobId: `${jobId}.notify`,
          ownerId: server.ownerId,
          payload: { server_id: server.id, from: previous, to: outcome.status },
        },
      ]);
      emitEvent(unit, "server.status_changed", statusChange(server, previous, outcome, now), {
        ownerId: server.ownerId,
      });
    }
    const updated = unit.write(
      db
        .update(servers)
        .set({
          status: outcome.status,
          lastCheckedAt: now,
          version: sql`${servers.version} + 1`,
          updatedAt: now,
        })
        .where(and(eq(servers.id, server.id), unit.precondition))
        .returning({ id: servers.id }),
    );
    unit.write(
      db
        .insert(serverChecks)
        .values({ id: uuidv7(), serverId: server.id, jobId, ...outcome, checkedAt: now })
        .onConflictDoNothing(),
    );
    unit.afterCommit(() => invalidateServer(env, server.ownerId, server.id));
    if (!(await unit.commit())(updated).length) return { status: outcome.status, replayed: true };
    if (previous !== outcome.status)
      await publishServerChange(
        env,
        "status_changed",
        {
          ...server,
          status: outcome.status,
          lastCheckedAt: now,
          version: server.version + 1,
          updatedAt: now,
        },
        { previous_status: previous },
      );
    return {
      status: outcome.status,
      previous,
      http_status: outcome.httpStatus,
      latency_bucket: latencyBucket(outcome.latencyMs),
      error: outcome.error,
    };
  },
});
