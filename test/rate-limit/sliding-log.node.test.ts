import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlidingLog } from "../../src/rate-limit/sliding-log.ts";

describe("sliding-window log", () => {
  it("admits exactly N in a window, refuses the N+1th, and refills when the oldest leaves", () => {
    const log = new SlidingLog();
    const N = 5;
    const W = 60_000;
    for (let i = 0; i < N; i++) expect(log.check(N, W, 1, 1000 + i).allowed).toBe(true);
    const refused = log.check(N, W, 1, 2000);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    // The oldest admission was at t=1000, so one unit frees at exactly 1000 + W.
    expect(refused.retryAfterMs).toBe(1000 + W - 2000);
    expect(log.check(N, W, 1, 1000 + W - 1).allowed).toBe(false);
    expect(log.check(N, W, 1, 1000 + W).allowed).toBe(true);
    expect(log.check(N, W, 1, 1000 + W).allowed).toBe(false);
  });

  it("charges costs and reports when a costly request would fit", () => {
    const log = new SlidingLog();
    expect(log.check(10, 1000, 4, 0)).toMatchObject({ allowed: true, remaining: 6 });
    expect(log.check(10, 1000, 4, 100)).toMatchObject({ allowed: true, remaining: 2 });
    const r = log.check(10, 1000, 4, 200);
    expect(r.allowed).toBe(false);
    expect(r.retryAfterMs).toBe(800); // the first 4 units leave at t=1000
    expect(log.check(10, 1000, 11, 5000).allowed).toBe(false); // never fits
  });

  it("peek answers like check without admitting anything", () => {
    const log = new SlidingLog();
    expect(log.peek(2, 1000, 1, 0)).toMatchObject({ allowed: true, remaining: 2 });
    log.check(2, 1000, 1, 0);
    log.check(2, 1000, 1, 10);
    expect(log.peek(2, 1000, 1, 20)).toMatchObject({ allowed: false, retryAfterMs: 980 });
    expect(log.peek(2, 1000, 1, 1000)).toMatchObject({ allowed: true, remaining: 1 });
    expect(log.snapshot()).toEqual([[10, 1]]);
  });

  it("survives a snapshot and restore", () => {
    const log = new SlidingLog();
    for (let i = 0; i < 3; i++) log.check(3, 1000, 1, i);
    const again = SlidingLog.restore(log.snapshot());
    expect(again.check(3, 1000, 1, 10).allowed).toBe(false);
    expect(again.check(3, 1000, 1, 1000).allowed).toBe(true);
  });

  it("seeded simulation: random interleavings of many identities never exceed the limit in any window", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 5_000 }),
        fc.array(
          fc.record({
            who: fc.integer({ min: 0, max: 7 }),
            gap: fc.integer({ min: 0, max: 400 }),
            cost: fc.integer({ min: 1, max: 4 }),
          }),
          { minLength: 1, maxLength: 400 },
        ),
        (limit, windowMs, events) => {
          const logs = new Map<number, SlidingLog>();
          const admitted = new Map<number, [number, number][]>();
          let now = 0;
          for (const { who, gap, cost } of events) {
            now += gap;
            const log = logs.get(who) ?? new SlidingLog();
            logs.set(who, log);
            if (log.check(limit, windowMs, cost, now).allowed) {
              const list = admitted.get(who) ?? [];
              list.push([now, cost]);
              admitted.set(who, list);
            }
          }
          // Invariant: for every identity and every window (t − W, t] ending at an admission, cost ≤ limit.
          for (const list of admitted.values()) {
            for (const [end] of list) {
              const inWindow = list
                .filter(([t]) => t > end - windowMs && t <= end)
                .reduce((a, [, c]) => a + c, 0);
              expect(inWindow).toBeLessThanOrEqual(limit);
            }
          }
        },
      ),
      { seed: 20261122, numRuns: 300 },
    );
  });
});

describe("in-isolate allowance (leases)", () => {
  it("seeded simulation: actual admissions per window never exceed N + L per isolate", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 3000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({
            isolate: fc.integer({ min: 0, max: 3 }),
            gap: fc.integer({ min: 0, max: 60 }),
          }),
          { minLength: 50, maxLength: 1500 },
        ),
        (limit, isolates, events) => {
          const W = 60_000;
          const LEASE_MS = 1_000;
          const L = Math.max(5, Math.min(50, Math.floor(limit * 0.02)));
          const log = new SlidingLog(); // the Durable Object
          const leases = Array.from({ length: isolates }, () => ({ tokens: 0, expires: 0 }));
          const admitted: number[] = [];
          let now = 0;
          for (const { isolate, gap } of events) {
            now += gap;
            const lease = leases[isolate % isolates]!;
            if (lease.expires > now && lease.tokens >= 1) {
              lease.tokens--;
              admitted.push(now);
              continue;
            }
            const { granted } = log.take(limit, W, L, 1, now);
            if (granted >= 1) {
              lease.tokens = granted - 1;
              lease.expires = now + LEASE_MS;
              admitted.push(now);
            }
          }
          for (const end of admitted) {
            const inWindow = admitted.filter((t) => t > end - W && t <= end).length;
            expect(inWindow).toBeLessThanOrEqual(limit + L * isolates);
          }
        },
      ),
      { seed: 20261122, numRuns: 100 },
    );
  });

  it("a lease grants what fits, never more than the limit in the object", () => {
    const log = new SlidingLog();
    expect(log.take(100, 1000, 40, 1, 0).granted).toBe(40);
    expect(log.take(100, 1000, 40, 1, 1).granted).toBe(40);
    expect(log.take(100, 1000, 40, 1, 2).granted).toBe(20);
    const refused = log.take(100, 1000, 40, 1, 3);
    expect(refused.granted).toBe(0);
    expect(refused.decision.allowed).toBe(false);
    expect(refused.decision.retryAfterMs).toBe(997);
  });
});
