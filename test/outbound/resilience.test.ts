import { afterEach, describe, expect, it, vi } from "vitest";
import { CircuitBreaker } from "../../src/outbound/circuit-breaker.ts";
import {
  backoffMs,
  CircuitOpenError,
  OutboundUrlRefusedError,
  resilientFetch,
} from "../../src/outbound/fetch.ts";
import { urlPolicy } from "../../src/outbound/url-policy.ts";

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
    purpose: "email" as const,
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

describe("breakers per purpose and per tenant", () => {
  afterEach(() => vi.restoreAllMocks());
  // The real per-isolate breakers (nothing injected); each test uses its own host.
  const fast = { retries: 0, sleep: async () => {} };
  const probe = (tenant: string) => ({
    ...fast,
    purpose: "probe" as const,
    tenant,
    urlPolicy: urlPolicy("probe", "production"),
  });

  it("one tenant's failing probes open its own breaker only: other tenants and e-mail still reach the host", async () => {
    const host = "https://shared-breaker.example.com/";
    const spy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("network down"));
    for (let i = 0; i < 5; i++)
      await expect(resilientFetch(host, {}, probe("tenant-a"))).rejects.toThrow("network down");
    await expect(resilientFetch(host, {}, probe("tenant-a"))).rejects.toBeInstanceOf(
      CircuitOpenError,
    );
    expect(spy).toHaveBeenCalledTimes(5);

    spy.mockResolvedValue(new Response("ok"));
    expect((await resilientFetch(host, {}, probe("tenant-b"))).status).toBe(200);
    expect((await resilientFetch(host, {}, { ...fast, purpose: "email" })).status).toBe(200);
    expect(spy).toHaveBeenCalledTimes(7);
  });

  it("failures on the product's own calls do not open the probe breaker, and purposes do not share", async () => {
    const host = "https://api-breaker.example.com/";
    const spy = vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("down"));
    for (let i = 0; i < 5; i++)
      await expect(resilientFetch(host, {}, { ...fast, purpose: "oauth" })).rejects.toThrow();
    await expect(resilientFetch(host, {}, { ...fast, purpose: "oauth" })).rejects.toBeInstanceOf(
      CircuitOpenError,
    );
    spy.mockResolvedValue(new Response("ok"));
    for (const purpose of ["email", "purge"] as const)
      expect((await resilientFetch(host, {}, { ...fast, purpose })).status).toBe(200);
    expect((await resilientFetch(host, {}, probe("tenant-c"))).status).toBe(200);
  });
});

describe("resilientFetch with a URL policy (user-supplied URLs)", () => {
  afterEach(() => vi.restoreAllMocks());
  const options = {
    purpose: "probe" as const,
    tenant: "tenant-x",
    urlPolicy: urlPolicy("probe", "production"),
    retries: 0,
  };

  it.each([
    "http://127.0.0.1:9911/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:10.0.0.1]/",
    "http://0x7f.1/",
    "https://user:pass@example.com/",
  ])("refuses %j before any request goes out", async (url) => {
    const spy = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("secret"));
    const error = await resilientFetch(url, {}, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundUrlRefusedError);
    expect(spy).not.toHaveBeenCalled();
  });

  it("never follows redirects, whatever the caller asked for", async () => {
    const spy = vi
      .spyOn(globalThis, "fetch")
      .mockResolvedValue(
        new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } }),
      );
    const res = await resilientFetch(
      "https://redirects.example.com/",
      { redirect: "follow" },
      options,
    );
    expect(res.status).toBe(302);
    expect(spy).toHaveBeenCalledTimes(1);
    expect((spy.mock.calls[0]![1] as RequestInit).redirect).toBe("manual");
  });
});
