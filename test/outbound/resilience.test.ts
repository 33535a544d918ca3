import { afterEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker } from "../../src/outbound/circuit-breaker.ts";
import { backoffMs, CircuitOpenError, resilientFetch } from "../../src/outbound/fetch.ts";

describe("circuit breaker", () => {
  it("closed → open after N consecutive failures → half-open after the cool-down → closed on a good trial", () => {
    let now = 0;
    const b = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000 }, () => now);
    expect(b.state("h")).toBe("closed");
    b.failure("h");
    b.failure("h");
    b.success("h"); // a success resets the count
    b.failure("h");
    b.failure("h");
    expect(b.state("h")).toBe("closed");
    b.failure("h");
    expect(b.state("h")).toBe("open");
    expect(b.allow("h")).toBe(false);
    expect(b.retryInMs("h")).toBe(1000);
    now = 999;
    expect(b.state("h")).toBe("open");
    now = 1000;
    expect(b.state("h")).toBe("half-open");
    expect(b.allow("h")).toBe(true); // exactly one trial
    expect(b.allow("h")).toBe(false);
    b.success("h");
    expect(b.state("h")).toBe("closed");
    expect(b.allow("h")).toBe(true);
  });

  it("a failed trial in half-open opens the breaker again for a full cool-down", () => {
    let now = 0;
    const b = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 500 }, () => now);
    b.failure("h");
    now = 500;
    expect(b.allow("h")).toBe(true);
    b.failure("h");
    expect(b.state("h")).toBe("open");
    now = 999;
    expect(b.state("h")).toBe("open");
    now = 1000;
    expect(b.state("h")).toBe("half-open");
  });

  it("hosts are independent", () => {
    const b = new CircuitBreaker({ failureThreshold: 1 });
    b.failure("a");
    expect(b.state("a")).toBe("open");
    expect(b.state("b")).toBe("closed");
  });
});

describe("resilientFetch", () => {
  afterEach(() => vi.restoreAllMocks());
  const sleeps: number[] = [];
  const opts = (breaker = new CircuitBreaker()) => ({
    breaker,
    sleep: async (ms: number) => void sleeps.push(ms),
    random: () => 0.5,
    baseDelayMs: 100,
    retries: 2,
  });

  it("retries 5xx with exponential backoff and returns the first success, propagating traceparent", async () => {
    sleeps.length = 0;
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(new Response("", { status: 502 }))
      .mockResolvedValueOnce(new Response("", { status: 503 }))
      .mockResolvedValueOnce(new Response("ok", { status: 200 }));
    const res = await resilientFetch(
      "https://api.example.com/x",
      {},
      { ...opts(), traceparent: "00-aa-bb-01" },
    );
    expect(res.status).toBe(200);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(sleeps).toEqual([50, 100]); // full jitter at random()=0.5: half of 100·2ⁿ
    const headers = new Headers((spy.mock.calls[0]![1] as RequestInit).headers);
    expect(headers.get("traceparent")).toBe("00-aa-bb-01");
  });

  it("honours Retry-After on 429", async () => {
    sleeps.length = 0;
    vi.spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(new Response("", { status: 429, headers: { "retry-after": "2" } }))
      .mockResolvedValueOnce(new Response("ok"));
    await resilientFetch("https://api.example.com/x", {}, opts());
    expect(sleeps).toEqual([2000]);
  });

  it("does not retry a 4xx", async () => {
    const spy = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("", { status: 404 }));
    expect((await resilientFetch("https://api.example.com/x", {}, opts())).status).toBe(404);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("retries network errors, then throws; an open breaker refuses without calling", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    const spy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("network down"));
    await expect(resilientFetch("https://down.example.com/", {}, opts(breaker))).rejects.toThrow(
      "network down",
    );
    expect(spy).toHaveBeenCalledTimes(3);
    await expect(
      resilientFetch("https://down.example.com/", {}, opts(breaker)),
    ).rejects.toBeInstanceOf(CircuitOpenError);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it("backoff is bounded by the maximum", () => {
    expect(backoffMs(20, 100, 5000, () => 0.999)).toBeLessThan(5000);
  });
});
