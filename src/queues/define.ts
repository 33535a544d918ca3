import type { z } from "zod";
import type { Database } from "../db/client.ts";
import type { Bindings, Config } from "../env.ts";
import type { WriteUnit } from "../lib/mutate.ts";
import type { Logger } from "../observability/logger.ts";
import type { EnqueueItem } from "./enqueue.ts";

/** What a job handler gets: its job id, payload, and the means to do its work. */
export interface JobContext<P> {
  jobId: string;
  payload: P;
  /** Delivery number, 1 on the first try. */
  attempt: number;
  traceparent: string | undefined;
  env: Bindings;
  config: Config;
  db: Database;
  logger: Logger;
  /** Enqueues follow-up jobs (children inherit the trace). */
  enqueue(items: EnqueueItem[]): Promise<string[]>;
  /**
   * A mutation for this job (one batch, post-commit effects as for requests):
   * audit entries default to the `system` actor, child jobs inherit the trace.
   */
  write(): WriteUnit;
}

export interface JobDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  type: T;
  payload: S;
  /**
   * Does the work; the returned object is stored as the job's result. Must be
   * idempotent by `jobId`: a redelivered message may run it again after a crash.
   */
  handle(ctx: JobContext<z.output<S>>): Promise<Record<string, unknown>>;
}

/** Declares a job type (one file per type; register it in registry.ts). */
export const defineJob = <T extends string, S extends z.ZodType>(
  def: JobDefinition<T, S>,
): JobDefinition<T, S> => def;
