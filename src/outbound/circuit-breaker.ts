/**
 * Circuit breaker per key (a host, or a tenant and a host): closed → (N consecutive
 * failures) → open → (cool-down) → half-open → one trial call: success closes it,
 * failure opens it again.
 *
 * State lives in the isolate (a Map of plain records): every request in this
 * isolate shares what the others learned about a key. It is not shared across
 * isolates; each isolate learns on its own after N failures, which bounds the
 * damage to N calls per isolate per cool-down. At most `maxEntries` keys are
 * remembered (the oldest is forgotten first), so memory stays bounded.
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
  maxEntries: number;
}

interface Entry {
  state: BreakerState;
  failures: number;
  openedAt: number;
  trialInFlight: boolean;
}

export class CircuitBreaker {
  readonly #entries = new Map<string, Entry>();
  readonly #options: BreakerOptions;
  readonly #now: () => number;

  constructor(options: Partial<BreakerOptions> = {}, now: () => number = Date.now) {
    this.#options = { failureThreshold: 5, coolDownMs: 30_000, maxEntries: 1_000, ...options };
    this.#now = now;
  }

  #entry(key: string): Entry {
    let e = this.#entries.get(key);
    if (!e) {
      e = { state: "closed", failures: 0, openedAt: 0, trialInFlight: false };
      this.#entries.set(key, e);
      if (this.#entries.size > this.#options.maxEntries)
        this.#entries.delete(this.#entries.keys().next().value!);
    }
    return e;
  }

  state(key: string): BreakerState {
    const e = this.#entry(key);
    if (e.state === "open" && this.#now() - e.openedAt >= this.#options.coolDownMs) {
      e.state = "half-open";
      e.trialInFlight = false;
    }
    return e.state;
  }

  /** May a call to `key` go out now? In half-open, exactly one trial is let through. */
  allow(key: string): boolean {
    const state = this.state(key);
    if (state === "closed") return true;
    if (state === "open") return false;
    const e = this.#entry(key);
    if (e.trialInFlight) return false;
    e.trialInFlight = true;
    return true;
  }

  success(key: string): void {
    const e = this.#entry(key);
    e.state = "closed";
    e.failures = 0;
    e.trialInFlight = false;
  }

  failure(key: string): void {
    const e = this.#entry(key);
    e.failures++;
    e.trialInFlight = false;
    if (e.state === "half-open" || e.failures >= this.#options.failureThreshold) {
      e.state = "open";
      e.openedAt = this.#now();
    }
  }

  /** Milliseconds until an open breaker lets a trial through. */
  retryInMs(key: string): number {
    const e = this.#entry(key);
    return e.state === "open"
      ? Math.max(0, e.openedAt + this.#options.coolDownMs - this.#now())
      : 0;
  }
}
