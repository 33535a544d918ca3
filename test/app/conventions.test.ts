import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { DEVELOPMENT_DEFAULTS } from "../../src/env.ts";
import { api, expectProblem, expectStatus } from "../helpers.ts";
import { fetchWith, hangingD1, throwingD1 } from "./broken-env.ts";
import { recordResponse } from "./contract.ts";

describe("request id", () => {
  it("echoes a sane inbound X-Request-Id", async () => {
    const res = await api("/health/live", { headers: { "X-Request-Id": "client-abc_123=" } });
    expect(res.headers.get("x-request-id")).toBe("client-abc_123=");
  });

  it("replaces an over-long or unsafe one with a fresh UUIDv7", async () => {
    for (const bad of ["x".repeat(129), "has space", "semi;colon", "<script>"]) {
      const res = await api("/health/live", { headers: { "X-Request-Id": bad } });
      const id = res.headers.get("x-request-id")!;
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it("puts the id in problem bodies too", async () => {
    const res = await api("/nope", { headers: { "X-Request-Id": "trace-me-42" } });
    const body = await expectProblem(res, 404, "not-found");
    expect(body.request_id).toBe("trace-me-42");
  });
});

describe("trace context", () => {
  it("continues a valid traceparent and answers with our span", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await api("/health/live", {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    const tr = res.headers.get("traceresponse")!;
    expect(tr).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(tr).not.toContain("00f067aa0ba902b7");
  });

  it("answers traceresponse only to callers that sent a traceparent", async () => {
    const res = await api("/health/live");
    expect(res.headers.get("traceresponse")).toBeNull();
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("starts a new trace for a malformed or all-zero traceparent", async () => {
    for (const bad of [
      "garbage",
      `00-${"0".repeat(32)}-00f067aa0ba902b7-01`,
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ]) {
      const tr = (await api("/health/live", { headers: { traceparent: bad } })).headers.get(
        "traceresponse",
      )!;
      expect(tr).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(tr).not.toContain("4bf92f3577b34da6a3ce929d0e0e4736");
    }
  });
});

describe("security headers", () => {
  const expectSecure = (res: Response) => {
    expect(res.headers.get("strict-transport-security")).toBe(
      "max-age=63072000; includeSubDomains; preload",
    );
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  };

  it("are on successes and on problems alike", async () => {
    expectSecure(await api("/health/live"));
    expectSecure(await api("/does/not/exist"));
    expectSecure(await api("/api/v2/auth/login", { method: "POST", body: "{" }));
  });

  it("send JSON answers only what an API needs; HTML pages get the document set", async () => {
    const documentOnly = [
      "cross-origin-opener-policy",
      "cross-origin-resource-policy",
      "origin-agent-cluster",
      "permissions-policy",
    ];
    const json = await api("/health/live");
    for (const name of documentOnly) expect(json.headers.get(name), name).toBeNull();
    for (const obsolete of ["x-xss-protection", "x-download-options", "x-dns-prefetch-control"])
      expect(json.headers.get(obsolete), obsolete).toBeNull();
    const page = await api("/docs");
    expectSecure(page);
    for (const name of documentOnly) expect(page.headers.get(name), name).toBeTruthy();
    expect(page.headers.get("permissions-policy")).toContain("camera=()");
  });

  it("give HTML pages a nonce-based CSP that matches their script tags", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const html = await res.text();
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(csp).not.toContain("'unsafe-inline' 'nonce"); // scripts never get unsafe-inline
    expect(/script-src[^;]*unsafe-inline/.test(csp)).toBe(false);
    // A fresh nonce on every response.
    const again = (await api("/docs")).headers.get("content-security-policy")!;
    expect(again).not.toBe(csp);
  });
});

// CORS reads CORS_ORIGINS, so it runs after configuration: /health/live, which never
// depends on configuration, answers before it (and no browser needs to read it).
describe("CORS", () => {
  it("allows a configured origin, with the headers clients need exposed", async () => {
    const res = await api("/health/ready", { headers: { Origin: "http://localhost:8787" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("adds only Vary: Origin to a request without Origin (API clients, servers)", async () => {
    const res = await api("/health/ready");
    expect(res.headers.get("vary")).toContain("Origin");
    for (const [name] of res.headers) expect(name.startsWith("access-control-")).toBe(false);
  });

  it("answers a preflight for a configured origin", async () => {
    const res = await api("/api/v2/auth/login", {
      method: "OPTIONS",
      headers: {
        Origin: "http://localhost:8787",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,authorization",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://localhost:8787");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "authorization",
    );
  });

  it("gives an unlisted origin nothing to read the response with", async () => {
    const res = await api("/health/ready", { headers: { Origin: "https://evil.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const pre = await api("/api/v2/auth/login", {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("request bodies", () => {
  it("413 for a body over 1 MiB, before it is parsed", async () => {
    const big = JSON.stringify({
      email: "a@example.com",
      password: "x".repeat(1024 * 1024 + 10),
      name: "n",
    });
    const body = await expectProblem(
      await api("/api/v2/auth/register", { method: "POST", body: big }),
      413,
      "payload-too-large",
    );
    expect(body.detail).toContain("1 MiB");
  });

  it("413 when a streamed body without Content-Length grows past the limit", async () => {
    const chunk = new Uint8Array(256 * 1024).fill(32);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= 8) return controller.close();
        controller.enqueue(chunk);
      },
    });
    const app = createApp();
    const req = new Request("https://panel.test/api/v2/auth/register", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    expect(req.headers.get("content-length")).toBeNull();
    const ctx = {
      waitUntil() {},
      passThroughOnException() {},
      props: {},
    } as unknown as ExecutionContext;
    await expectProblem(
      await recordResponse(req, await app.fetch(req, env, ctx)),
      413,
      "payload-too-large",
    );
  });

  it("400 malformed-json problem for a broken JSON body", async () => {
    await expectProblem(
      await api("/api/v2/auth/login", { method: "POST", body: '{"email": "a@' }),
      400,
      "malformed-json",
    );
  });

  it("415 for a body that is not JSON", async () => {
    const res = await api("/api/v2/auth/login", {
      method: "POST",
      body: "email=a",
      headers: { "content-type": "text/plain" },
    });
    await expectProblem(res, 415, "unsupported-media-type");
  });

  it("422 with one entry per bad field", async () => {
    const res = await api("/api/v2/auth/register", {
      method: "POST",
      body: { email: "not-an-email", password: "short", name: 42 },
    });
    const body = await expectProblem(res, 422, "validation");
    const paths = body.errors!.map((e) => e.path).sort();
    expect(paths).toEqual(["email", "name", "password"]);
    for (const e of body.errors!) expect(e.message.length).toBeGreaterThan(0);
  });

  it("422 for wrong types and a missing body", async () => {
    const wrong = await expectProblem(
      await api("/api/v2/auth/login", { method: "POST", body: [] }),
      422,
      "validation",
    );
    expect(wrong.errors!.length).toBeGreaterThan(0);
    const missing = await expectProblem(
      await api("/api/v2/auth/login", { method: "POST" }),
      422,
      "validation",
    );
    expect(missing.errors!.length).toBeGreaterThan(0);
  });
});

describe("routing problems", () => {
  it("404 problem for an unknown route", async () => {
    const body = await expectProblem(await api("/api/v2/nothing-here"), 404, "not-found");
    expect(body.instance).toBe("/api/v2/nothing-here");
  });

  it("every 401 says how to authenticate (WWW-Authenticate), whoever raised it", async () => {
    // Found by the fuzz run: the OAuth callback's 401s (provider error, state
    // mismatch from the provider library) came without a challenge.
    for (const res of [
      await api("/api/v2/auth/oauth/google?error=access_denied"),
      await api("/api/v2/auth/oauth/github?code=c&state=s"),
      await api("/api/v2/auth/me"),
      await api("/api/v2/auth/me", { token: "not-a-jwt" }),
    ]) {
      await expectProblem(res, 401, "unauthorized");
      expect(res.headers.get("www-authenticate"), res.url).toMatch(/^Bearer realm="edgepanel"/);
    }
  });

  it("instance is the path as sent: a URI reference, never decoded input", async () => {
    // Found by the fuzz run: the decoded path put spaces, controls and raw Unicode here.
    for (const path of [
      "/api/v2/users/%20RE%60%19!",
      "/api/v2/users/%25w%20",
      "/api/v2/users/%3A%3ESI%E2%BD%A9",
      "/api/v2/nothing%0Ahere",
    ]) {
      const res = await api(path, { headers: { "x-api-key": "ep_live_bad" } });
      const body = await expectProblem(res, res.status);
      expect(body.instance, path).toBe(path);
      expect(body.instance).toMatch(/^[\x21-\x7e]+$/);
    }
  });

  it("405 problem with Allow for a wrong method", async () => {
    const res = await api("/health/live", { method: "DELETE" });
    await expectProblem(res, 405, "method-not-allowed");
    expect(res.headers.get("allow")).toContain("GET");
    const login = await api("/api/v2/auth/login", { method: "GET" });
    await expectProblem(login, 405, "method-not-allowed");
    expect(login.headers.get("allow")).toContain("POST");
  });
});

describe("failures never leak internals", () => {
  it("500 problem with the request id and no SQL, stack or message", async () => {
    const res = await fetchWith({ DB: throwingD1() }, "/api/v2/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "boom-1" },
      body: JSON.stringify({ email: "a@example.com", password: "whatever-password" }),
    });
    const text = await res.clone().text();
    await expectProblem(res, 500, "internal");
    expect(JSON.parse(text).request_id).toBe("boom-1");
    for (const leak of ["secret_internal_table", "SELECT", "password_hash", "D1_ERROR", "at "])
      expect(text).not.toContain(leak);
  });

  it("504 when a request runs past its time budget", async () => {
    const res = await fetchWith({ DB: hangingD1(), REQUEST_TIMEOUT_MS: "100" }, "/health/ready");
    await expectProblem(res, 504, "timeout");
  });

  it("names a missing secret in a 500 problem, never its value", async () => {
    const res = await fetchWith(
      {
        ENVIRONMENT: "production",
        JWT_SECRET: undefined,
        METRICS_TOKEN: "m".repeat(20),
        ENCRYPTION_KEY: env.ENCRYPTION_KEY ?? "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=",
        TURNSTILE_SECRET: "real-secret",
      },
      "/health/ready",
    );
    const body = await expectProblem(res, 500, "misconfigured");
    expect(body.detail).toContain("JWT_SECRET");
    expect(body.errors!.map((e) => e.path)).toEqual(["JWT_SECRET"]);
  });

  it("refuses development defaults outside development", async () => {
    const res = await fetchWith(
      {
        ENVIRONMENT: "production",
        JWT_SECRET: DEVELOPMENT_DEFAULTS.JWT_SECRET,
        ENCRYPTION_KEY: DEVELOPMENT_DEFAULTS.ENCRYPTION_KEY,
        METRICS_TOKEN: "mT7kQ2vX9pL4rZ8wN3cB6yH1",
        TURNSTILE_SECRET: "real-secret",
      },
      "/health/ready",
    );
    const body = await expectProblem(res, 500, "misconfigured");
    expect(body.errors).toEqual([
      {
        path: "JWT_SECRET",
        message: "JWT_SECRET uses the development default outside development",
      },
      {
        path: "ENCRYPTION_KEY",
        message: "ENCRYPTION_KEY uses the development default outside development",
      },
    ]);
    expect(JSON.stringify(body)).not.toContain("dev-only-jwt-secret");
  });
});

describe("response extras", () => {
  it("compresses large responses for clients that accept it, not small ones", async () => {
    const big = await api("/openapi.json", { headers: { "accept-encoding": "gzip" } });
    expect(big.headers.get("content-encoding")).toBe("gzip");
    const doc = await new Response(big.body!.pipeThrough(new DecompressionStream("gzip"))).json<{
      openapi: string;
    }>();
    expect(doc.openapi).toBe("3.1.0");
    const small = await api("/health/live", { headers: { "accept-encoding": "gzip" } });
    expect(small.headers.get("content-encoding")).toBeNull();
    const plain = await api("/openapi.json");
    expect(plain.headers.get("content-encoding")).toBeNull();
  });

  it("reports where time went in Server-Timing", async () => {
    const res = await api("/health/ready");
    await expectStatus(res, 200);
    expect(res.headers.get("server-timing")).toMatch(/total;dur=[\d.]+/);
  });
});

describe("compression switch", () => {
  it("serves identity when COMPRESS_RESPONSES=false (wrangler dev)", async () => {
    const res = await fetchWith({ COMPRESS_RESPONSES: "false" }, "/openapi.json", {
      headers: { "accept-encoding": "gzip" },
    });
    expect(res.headers.get("content-encoding")).toBeNull();
    expect((await res.json<{ openapi: string }>()).openapi).toBe("3.1.0");
  });
});
