import type { SQL } from "drizzle-orm";
import type { Context } from "hono";
import type { AuditSequencer } from "../audit/sequencer.ts";
import { requestSeal } from "../audit/wake.ts";
import { type Database, getDatabase } from "../db/client.ts";
import { Mutation, type ReadResult } from "../db/mutation.ts";
import { auditLogs, jobs } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import type { Logger } from "../observability/logger.ts";
import {
  type EnqueueItem,
  type JobMessage,
  jobRecords,
  sendJobMessages,
} from "../queues/enqueue.ts";
import { type AuditEntry, auditRow } from "../services/audit/audit-log.ts";
import { markCommitted } from "../services/idempotency/idempotency.ts";
import { auditEntry, type RouteAudit } from "./audit.ts";

export interface Effects {
  env: { JOBS: Queue; AUDIT_SEQUENCER: DurableObjectNamespace<AuditSequencer> };
  waitUntil(promise: Promise<unknown>): void;
  logger: Logger;
}

/** Attempts for a post-commit task (a cache tag bump) before it is given up. */
const TASK_ATTEMPTS = 4;

/**
 * A mutation plus what must happen after it commits. `commit()` runs the one
 * batch, then the post-commit effects, none of which can turn the committed
 * write into an error response:
 * - job messages are sent (a failed send is logged; the job rows are committed
 *   `queued` and the cron's unsent-job sweep sends them);
 * - tasks (cache invalidation) start at once and finish in `waitUntil`, retried
 *   with backoff on failure;
 * - the audit sequencer is woken in `waitUntil` to seal the new entry.
 */
export class WriteUnit extends Mutation {
  readonly #messages: JobMessage[] = [];
  readonly #tasks: (() => Promise<unknown>)[] = [];
  #audited = false;

  readonly effects: Effects;
  readonly traceparent: string | undefined;

  constructor(db: Database, effects: Effects, traceparent?: string) {
    super(db);
    this.effects = effects;
    this.traceparent = traceparent;
  }

  /** Adds the mutation's audit entry (inserted unsealed, in the same batch). */
  auditAs(entry: AuditEntry, when?: SQL): this {
    this.record(auditLogs, [auditRow(entry)], when ? { when } : {});
    this.#audited = true;
    return this;
  }

  /** Adds jobs: their rows commit with the mutation, their messages are sent after. */
  enqueue(items: EnqueueItem[]): string[] {
    const { rows, messages } = jobRecords(items, this.traceparent);
    this.record(jobs, rows, { ignoreDuplicates: true });
    this.#messages.push(...messages);
    return messages.map((m) => m.job_id);
  }

  /** Work to do once the batch has committed (cache invalidation). */
  afterCommit(task: () => Promise<unknown>): this {
    this.#tasks.push(task);
    return this;
  }

  override async commit(): Promise<ReadResult> {
    const read = await super.commit();
    const { env, waitUntil, logger } = this.effects;
    if (this.#audited)
      waitUntil(
        requestSeal(env.AUDIT_SEQUENCER, (error) =>
          logger.warn("audit sequencer wake-up failed; its alarm or the cron will seal", {
            error: String(error),
          }),
        ),
      );
    if (this.#messages.length) {
      try {
        await sendJobMessages(env.JOBS, this.#messages);
      } catch (error) {
        logger.error("job send failed after commit; the unsent-job sweep will send it", {
          jobs: this.#messages.map((m) => m.job_id),
          error: String(error),
        });
      }
    }
    for (const task of this.#tasks) {
      // Started now, finished in the background: a tag bump takes effect in this
      // isolate synchronously (the writer reads its own write at once), and other
      // isolates learn it through KV whether or not the response waits for it.
      let started: Promise<unknown>;
      try {
        started = task();
      } catch (error) {
        started = Promise.reject(error);
      }
      waitUntil(
        started.catch((error) => {
          logger.warn("post-commit task failed; retrying in the background", {
            error: String(error),
          });
          return retry(task, logger);
        }),
      );
    }
    return read;
  }
}

async function retry(task: () => Promise<unknown>, logger: Logger): Promise<void> {
  for (let attempt = 1; attempt < TASK_ATTEMPTS; attempt++) {
    await new Promise((r) => setTimeout(r, 100 * 4 ** attempt * (0.5 + Math.random())));
    try {
      await task();
      return;
    } catch (error) {
      if (attempt === TASK_ATTEMPTS - 1)
        logger.error("post-commit task failed for good", { error: String(error) });
    }
  }
}

/** A request's mutation: audit entries carry the request's actor, IP and id. */
export class RequestWrite extends WriteUnit {
  readonly c: Context<AppEnv>;

  constructor(c: Context<AppEnv>) {
    super(
      c.get("db"),
      {
        env: c.env,
        waitUntil: (p) => c.executionCtx.waitUntil(p),
        logger: c.get("logger"),
      },
      c.get("trace").traceparent,
    );
    this.c = c;
  }

  audit(entry: RouteAudit, when?: SQL): this {
    return this.auditAs(auditEntry(this.c, entry), when);
  }

  override commit() {
    // The Idempotency-Key claim turns `committed` with the write, under the same
    // precondition, so it is marked exactly when the mutation applied.
    const claim = this.c.get("idempotencyClaim");
    if (claim) this.first(markCommitted(this.db, claim, this.precondition));
    return super.commit();
  }
}

export const requestWrite = (c: Context<AppEnv>) => new RequestWrite(c);

/**
 * Records audit entries on their own, in one batch, for actions whose effect lives
 * outside D1 (KV rules, cache purges, sign-in events).
 */
export async function auditOnly(c: Context<AppEnv>, ...entries: RouteAudit[]): Promise<void> {
  const unit = requestWrite(c);
  for (const entry of entries) unit.audit(entry);
  await unit.commit();
}

/** A mutation outside a request (cron, queue consumer): audit entries say `system` unless given. */
export const systemWrite = (
  env: Effects["env"] & { DB: D1Database; DATABASE_URL?: string | undefined },
  ctx: { waitUntil(promise: Promise<unknown>): void },
  logger: Logger,
  traceparent?: string,
) =>
  new WriteUnit(getDatabase(env), { env, waitUntil: (p) => ctx.waitUntil(p), logger }, traceparent);
