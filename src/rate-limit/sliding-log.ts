/**
 * Sliding-window log: the limiter's algorithm.
 *
 * Why not GCRA: GCRA with burst N admits up to N + 1 requests inside some
 * window of length W (a full burst, then one refill of W/N later), so "N per
 * minute" would not hold for every minute. The log keeps the admission times
 * of the last window and admits a request of cost c only if the costs inside
 * (now − W, now] plus c stay ≤ N. Invariant: in ANY interval of length W, the
 * admitted cost never exceeds N. Memory is at most N entries per key; the
 * limiter shards one Durable Object per identity and policy, so that is small.
 *
 * Refill is exact: a refused request may retry at `oldest-needed entry + W`,
 * which is what Retry-After and the RateLimit `t` parameter report.
 */
export interface Decision {
  allowed: boolean;
  /** Quota units left in the current window after this decision. */
  remaining: number;
  /** Milliseconds until the window frees enough quota for a request of this cost (0 if allowed). */
  retryAfterMs: number;
  /** Milliseconds until the whole quota is free again. */
  resetMs: number;
}

export class SlidingLog {
  /** Parallel arrays, oldest first: admission time and cost. */
  #times: number[] = [];
  #costs: number[] = [];
  #used = 0;

  /** Drops entries at or before `now − window`: they no longer count. */
  #expire(now: number, windowMs: number) {
    let drop = 0;
    while (drop < this.#times.length && this.#times[drop]! <= now - windowMs) {
      this.#used -= this.#costs[drop]!;
      drop++;
    }
    if (drop) {
      this.#times.splice(0, drop);
      this.#costs.splice(0, drop);
    }
  }

  check(limit: number, windowMs: number, cost: number, now: number): Decision {
    return this.#decide(limit, windowMs, cost, now, true);
  }

  /** What `check` would answer, without admitting anything. */
  peek(limit: number, windowMs: number, cost: number, now: number): Decision {
    return this.#decide(limit, windowMs, cost, now, false);
  }

  #decide(limit: number, windowMs: number, cost: number, now: number, admit: boolean): Decision {
    this.#expire(now, windowMs);
    const resetMs = () => (this.#times.length ? this.#times.at(-1)! + windowMs - now : 0);
    if (cost <= limit && this.#used + cost <= limit) {
      if (!admit)
        return {
          allowed: true,
          remaining: limit - this.#used,
          retryAfterMs: 0,
          resetMs: resetMs(),
        };
      this.#times.push(now);
      this.#costs.push(cost);
      this.#used += cost;
      return { allowed: true, remaining: limit - this.#used, retryAfterMs: 0, resetMs: resetMs() };
    }
    // Earliest moment enough old entries have expired to fit `cost`.
    let freed = limit - this.#used;
    let retryAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#times.length; i++) {
      freed += this.#costs[i]!;
      if (freed >= cost) {
        retryAt = this.#times[i]! + windowMs;
        break;
      }
    }
    const retryAfterMs = Number.isFinite(retryAt) ? Math.max(1, retryAt - now) : windowMs;
    return {
      allowed: false,
      remaining: Math.max(0, limit - this.#used),
      retryAfterMs,
      resetMs: resetMs(),
    };
  }

  /**
   * Admits as many units as fit, up to `want` (at least `min`, else none): the
   * grant for an isolate's local allowance. Recorded as one entry at `now`.
   */
  take(
    limit: number,
    windowMs: number,
    want: number,
    min: number,
    now: number,
  ): { granted: number; decision: Decision } {
    this.#expire(now, windowMs);
    const available = Math.max(0, limit - this.#used);
    const granted = available >= min ? Math.min(want, available) : 0;
    if (granted > 0) {
      this.#times.push(now);
      this.#costs.push(granted);
      this.#used += granted;
      const resetMs = this.#times.at(-1)! + windowMs - now;
      return {
        granted,
        decision: { allowed: true, remaining: limit - this.#used, retryAfterMs: 0, resetMs },
      };
    }
    return { granted: 0, decision: this.check(limit, windowMs, min, now) };
  }

  /** State for persistence: [time, cost] pairs. */
  snapshot(): [number, number][] {
    return this.#times.map((t, i) => [t, this.#costs[i]!]);
  }

  static restore(entries: [number, number][]): SlidingLog {
    const log = new SlidingLog();
    for (const [t, c] of entries) {
      log.#times.push(t);
      log.#costs.push(c);
      log.#used += c;
    }
    return log;
  }
}
