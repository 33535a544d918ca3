import { DeadlineExceeded, withDeadline } from "../lib/deadline.ts";
import type { MetricsStore } from "../metrics/durable-object.ts";
import { type MetricsRecorder, recorder } from "./metrics.ts";

/**
 * Isolates send their deltas at most this often. It bounds how stale /metrics is:
 * a request's counts reach the METRICS object within this interval plus one RPC,
 * because the request that finds no flush pending schedules one for the end of
 * the interval (kept alive by `waitUntil`, so an isolate that goes quiet still
 * sends what it holds).
 */
export const FLUSH_INTERVAL_MS = 5_000;

/** A flush that takes longer is given up, so a hung object cannot stop this isolate's flushes. */
const FLUSH_TIMEOUT_MS = 5_000;

export interface MetricsEnv {
  METRICS?: DurableObjectNamespace<MetricsStore>;
  /** "false" turns recording off in this deployment (the benchmark's baseline). */
  METRICS_ENABLED?: string;
}

/** The deployment's one aggregating object. */
export const metricsStub = (ns: DurableObjectNamespace<MetricsStore>) =>
  ns.get(ns.idFromName("metrics"));

/** Flush scheduling for one recorder: at most one flush pending, at most one per interval. */
export class Flusher {
  readonly #recorder: MetricsRecorder;
  readonly #intervalMs: number;
  #pending = false;
  #lastAt = 0;

  constructor(rec: MetricsRecorder, intervalMs = FLUSH_INTERVAL_MS) {
    this.#recorder = rec;
    this.#intervalMs = intervalMs;
  }

  /**
   * Called after each response (off its path): schedules a flush unless one is
   * already pending. Costs one boolean test on most requests.
   */
  schedule(
    ns: DurableObjectNamespace<MetricsStore> | undefined,
    ctx: { waitUntil(promise: Promise<unknown>): void },
    now = Date.now(),
  ): void {
    if (this.#pending || !ns) return;
    this.#pending = true;
    const wait = this.#lastAt + this.#intervalMs - now;
    ctx.waitUntil(this.#run(ns, wait));
  }

  async #run(ns: DurableObjectNamespace<MetricsStore>, wait: number): Promise<void> {
    try {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await this.flush(ns);
    } finally {
      this.#lastAt = Date.now();
      this.#pending = false;
    }
  }

  /** Sends everything recorded since the last flush now; a failed send is kept for the next. */
  async flush(ns: DurableObjectNamespace<MetricsStore>): Promise<void> {
    const batch = this.#recorder.collect();
    if (!batch) return;
    try {
      await withDeadline(metricsStub(ns).ingest(batch), FLUSH_TIMEOUT_MS);
    } catch (error) {
      // A refused call applied nothing: send its deltas again. A call that timed out
      // may still apply: dropping its deltas undercounts, resending could double them.
      if (!(error instanceof DeadlineExceeded)) this.#recorder.restore(batch);
      this.#recorder.increment("metrics_flush_failures_total");
    }
  }
}

export const flusher = new Flusher(recorder);

/** Sets this isolate's recording switch from the env (a string comparison per request). */
export function configureRecording(env: MetricsEnv): void {
  recorder.enabled = env.METRICS_ENABLED !== "false";
}
