/**
 * Per-host circuit breaker: closed → (N consecutive failures) → open → (cool-down)
 * → half-open → one trial call: success closes it, failure opens it again.
 *
 * State lives in the isolate (a Map of plain records): every request in this
 * isolate shares what the others learned about a host. It is not shared across
 * isolates; each isolate learns on its own after N failures, which bounds the
 * damage to N calls per isolate per cool-down.
 */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  failureThreshold: number;
  coolDownMs: number;
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
    this.#options = { failureThreshold: 5, coolDownMs: 30_000, ...options };
    this.#now = now;
  }

  #entry(host: string): Entry {
    let e = this.#entries.get(host);
    if (!e) {
      e = { state: "closed", failures: 0, openedAt: 0, trialInFlight: false };
      this.#entries.set(host, e);
      if (this.#entries.size > 1_000) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return e;
  }

  state(host: string): BreakerState {
    const e = this.#entry(host);
    if (e.state === "open" && this.#now() - e.openedAt >= this.#options.coolDownMs) {
      e.state = "half-open";
      e.trialInFlight = false;
    }
    return e.state;
  }

  /** May a call to `host` go out now? In half-open, exactly one trial is let through. */
  allow(host: string): boolean {
    const state = this.state(host);
    if (state === "closed") return true;
    if (state === "open") return false;
    const e = this.#entry(host);
    if (e.trialInFlight) return false;
    e.trialInFlight = true;
    return true;
  }

  success(host: string): void {
    const e = this.#entry(host);
    e.state = "closed";
    e.failures = 0;
    e.trialInFlight = false;
  }

  failure(host: string): void {
    const e = this.#entry(host);
    e.failures++;
    e.trialInFlight = false;
    if (e.state === "half-open" || e.failures >= this.#options.failureThreshold) {
      e.state = "open";
      e.openedAt = this.#now();
    }
  }

  /** Milliseconds until an open breaker lets a trial through. */
  retryInMs(host: string): number {
    const e = this.#entry(host);
    return e.state === "open"
      ? Math.max(0, e.openedAt + this.#options.coolDownMs - this.#now())
      : 0;
  }
}
