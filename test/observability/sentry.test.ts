import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Bindings } from "../../src/env.ts";
import worker from "../../src/index.ts";
import { throwingD1 } from "../app/broken-env.ts";

const DSN = "https://0123456789abcdef0123456789abcdef@o11.ingest.sentry.test/4242";
const INGEST = "https://o11.ingest.sentry.test/api/4242/envelope/";

/** Envelopes sent to the fetch-mocked ingest URL: header, then (item header, payload) pairs. */
function captureIngest() {
  const envelopes: { url: string; items: Record<string, unknown>[]; raw: string }[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input as RequestInfo, init);
    if (!request.url.startsWith("https://o11.ingest.sentry.test/"))
      return real(input as RequestInfo, init);
    const raw = await request.text();
    const lines = raw.split("\n").filter(Boolean);
    envelopes.push({ url: request.url, items: lines.map((l) => JSON.parse(l)), raw });
    return new Response("{}", { status: 200 });
  });
  return envelopes;
}

/**
 * Calls the Worker's entry with `overrides`. Background work (Sentry's flush, the
 * metrics flush) runs on after the response, as it does in production: tests wait
 * for the envelope to arrive, not for every `waitUntil`.
 */
async function call(
  overrides: Partial<Bindings> & Record<string, unknown>,
  path: string,
  init?: RequestInit,
) {
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void p.catch(() => {}),
    passThroughOnException() {},
    props: {},
  } as unknown as ExecutionContext;
  const res = await worker.fetch(
    new Request(`https://panel.test${path}`, init) as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...overrides } as Bindings,
    ctx,
  );
  await res.text();
  return res;
}

/** The real database, except that statements matching `pattern` fail as D1 would. */
function failingOn(real: D1Database, pattern: RegExp): D1Database {
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop) as unknown;
        if (prop === "prepare")
          return (query: string) => {
            if (pattern.test(query)) throw new Error("D1_ERROR: injected failure");
            return (value as (q: string) => unknown).call(t, query);
          };
        if (prop === "withSession")
          return (...args: unknown[]) =>
            wrap((value as (...a: unknown[]) => object).apply(t, args));
        return typeof value === "function" ? value.bind(t) : value;
      },
    });
  return wrap(real);
}

afterEach(() => vi.restoreAllMocks());

describe("Sentry", () => {
  it("captures a 5xx with request id, trace id and route, redacting credentials and e-mail addresses", async () => {
    const envelopes = captureIngest();
    const res = await call(
      { SENTRY_DSN: DSN, DB: throwingD1() },
      "/api/v2/auth/login?email=leak@example.com",
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-request-id": "sentry-req-1",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
          authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
          "x-api-key": "ep_live_abcdefghijklmnop",
          cookie: "session=secret-cookie",
        },
        body: JSON.stringify({ email: "leak@example.com", password: "hunter2-password" }),
      },
    );
    expect(res.status).toBe(500);
    const events = await vi.waitFor(() => {
      const sent = envelopes.filter((e) => e.items.some((i) => i.type === "event"));
      if (!sent.length) throw new Error("no event yet");
      return sent;
    });
    expect(events).toHaveLength(1);
    const [envelope] = events;
    expect(envelope!.url).toContain(INGEST);
    const header = envelope!.items[0] as { dsn?: string; event_id?: string };
    expect(header.event_id).toMatch(/^[0-9a-f]{32}$/);
    const event = envelope!.items[2] as {
      tags: Record<string, string>;
      exception: { values: { type: string; value: string }[] };
      request?: { headers?: Record<string, string>; url?: string; query_string?: unknown };
      level: string;
    };
    expect(event.level).toBe("error");
    expect(event.tags).toMatchObject({
      request_id: "sentry-req-1",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      route: "/api/v2/auth/login",
      status: "500",
    });
    expect(event.exception.values[0]!.value).toContain("D1_ERROR");
    for (const secret of [
      "leak@example.com",
      "hunter2-password",
      "eyJhbGciOiJIUzI1NiJ9",
      "ep_live_abcdefghijklmnop",
      "secret-cookie",
    ])
      expect(envelope!.raw, secret).not.toContain(secret);
  });

  it("tags the user id of an authenticated request", async () => {
    const { seedUser } = await import("../helpers.ts");
    const user = await seedUser({ role: "viewer" });
    const envelopes = captureIngest();
    // Authentication reads D1 normally; the servers query fails.
    const res = await call(
      { SENTRY_DSN: DSN, DB: failingOn(env.DB, /from "servers"/) },
      "/api/v2/servers",
      { headers: { authorization: `Bearer ${user.access_token}` } },
    );
    expect(res.status).toBeGreaterThanOrEqual(500); // the cache answers 503: no stale copy
    const event = await vi.waitFor(() => {
      const found = envelopes.flatMap((e) => e.items).find((i) => "tags" in i);
      if (!found) throw new Error("no event yet");
      return found as { user?: Record<string, unknown>; tags: Record<string, string> };
    });
    expect(event.user).toEqual({ id: user.user.id });
    expect(event.tags.route).toBe("/api/v2/servers");
  });

  it("sends nothing without SENTRY_DSN", async () => {
    const envelopes = captureIngest();
    const res = await call({ DB: throwingD1() }, "/api/v2/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "no-sentry-1" },
      body: JSON.stringify({ email: "a@example.com", password: "whatever-password" }),
    });
    expect(res.status).toBe(500);
    await new Promise((r) => setTimeout(r, 300));
    expect(envelopes.filter((e) => e.raw.includes("no-sentry-1"))).toEqual([]);
  });

  it("captures a job's last failure and its dead letter with the job type", async () => {
    const { deliver, queuedJob } = await import("../queues/helpers.ts");
    const envelopes = captureIngest();
    const real = globalThis.fetch;
    // The e-mail provider fails (the outside world, mocked); Sentry's ingest is captured above.
    const ingest = vi.mocked(globalThis.fetch).getMockImplementation()!;
    vi.mocked(globalThis.fetch).mockImplementation(async (input, init) => {
      const url = new Request(input as RequestInfo, init).url;
      if (url.startsWith("https://mail.test/")) return new Response("boom", { status: 500 });
      return ingest(input as RequestInfo, init) ?? real(input as RequestInfo, init);
    });
    const overrides = {
      SENTRY_DSN: DSN,
      EMAIL_PROVIDER_URL: "https://mail.test/send",
      EMAIL_API_KEY: "k",
    } as Partial<Bindings>;
    const msg = await queuedJob("email.send", { to: ["d@example.com"], subject: "s", text: "t" });
    await deliver([msg], { attempts: 5, overrides });
    await deliver([msg], { queue: "edgepanel-jobs-dlq", overrides });
    const events = await vi.waitFor(() => {
      const found = envelopes
        .flatMap((e) => e.items)
        .filter(
          (i): i is { tags: Record<string, string>; level: string; message?: string } =>
            "tags" in i,
        );
      if (found.length < 2) throw new Error("waiting for both events");
      return found;
    });
    const failure = events.find((e) => e.tags.attempt === "5")!;
    expect(failure).toMatchObject({
      level: "error",
      tags: { job_type: "email.send", job_id: msg.job_id },
    });
    const dead = events.find((e) => e.message?.includes("dead-lettered"))!;
    expect(dead.tags).toMatchObject({ job_type: "email.send", job_id: msg.job_id });
    // The recipient's address never reaches Sentry.
    for (const e of envelopes) expect(e.raw).not.toContain("d@example.com");
  });
});
