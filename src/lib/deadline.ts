/** Raised by {@link withDeadline} when the work did not settle in time. */
export class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "DeadlineExceeded";
  }
}

/**
 * Settles like `p`, or rejects with DeadlineExceeded after `ms`. The timer is always
 * cleared, so a fast answer leaves nothing pending. (The work itself is not
 * cancelled: bindings take no AbortSignal.)
 */
export async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceeded(ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Timed<T> {
  ok: boolean;
  /** Wall time spent awaiting, in ms (two decimals). */
  ms: number;
  value?: T;
  /** "no answer within … ms" or "check failed": never the driver's own message. */
  error?: string;
}

/** Runs a dependency check within `ms`, timing it; never throws. */
export async function timedCheck<T>(fn: () => Promise<T>, ms: number): Promise<Timed<T>> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  try {
    const value = await withDeadline(fn(), ms);
    return { ok: true, ms: elapsed(), value };
  } catch (error) {
    // A driver message could carry connection details: report the kind of failure only.
    return {
      ok: false,
      ms: elapsed(),
      error: error instanceof DeadlineExceeded ? error.message : "check failed",
    };
  }
}
