/**
 * Per-isolate write coalescing: `run(key, fn)` calls `fn` at most once per
 * `intervalMs` for a key. A call inside the interval (or while a run is in
 * flight) schedules one trailing run at the end of it, which covers every call
 * made meanwhile — `fn` must read the latest state when it runs, not capture
 * the caller's. The caller that starts or schedules a run gets its promise (for
 * `waitUntil`); callers that join a scheduled run get a resolved one, because
 * the run is already kept alive by the request that scheduled it.
 */
export class Coalescer {
  readonly #intervalMs: number;
  readonly #state = new Map<string, { lastAt: number; inflight: boolean; scheduled: boolean }>();

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  run(key: string, fn: () => Promise<unknown>, now = Date.now()): Promise<void> {
    let s = this.#state.get(key);
    if (!s) {
      s = { lastAt: 0, inflight: false, scheduled: false };
      this.#state.set(key, s);
    }
    if (s.scheduled) return Promise.resolve();
    const state = s;
    const wait = state.inflight ? this.#intervalMs : state.lastAt + this.#intervalMs - now;
    if (wait > 0) state.scheduled = true;
    return (async () => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (state.inflight) await new Promise((r) => setTimeout(r, 10));
      state.scheduled = false;
      state.inflight = true;
      state.lastAt = Date.now();
      try {
        await fn();
      } finally {
        state.inflight = false;
        // Keep the map bounded: idle keys go.
        if (!state.scheduled && this.#state.size > 1_000) this.#state.delete(key);
      }
    })();
  }
}
