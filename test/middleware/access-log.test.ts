import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { recordResponse } from "../app/contract.ts";
import { PASSWORD, register } from "../helpers.ts";

const ctx = {
  waitUntil() {},
  passThroughOnException() {},
  props: {},
} as unknown as ExecutionContext;

/** A request to an app built here, its response checked against the document like any other. */
const send = async (app: ReturnType<typeof createApp>, request: Request) =>
  recordResponse(request, await app.fetch(request, env, ctx));

describe("access log", () => {
  it("writes one redacted JSON line per request with ids, route, status and identity", async () => {
    const lines: string[] = [];
    const app = createApp({ accessLog: { sink: (l) => lines.push(l), level: "info" } });
    const s = await register("logged@example.com");
    const res = await send(
      app,
      new Request("https://panel.test/api/v2/auth/me?email=logged@example.com", {
        headers: {
          authorization: `Bearer ${s.access_token}`,
          "user-agent": "script (contact logged@example.com)",
          "x-request-id": "log-req-1",
          traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        },
      }),
    );
    expect(res.status).toBe(200);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      request_id: "log-req-1",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      method: "GET",
      route: "/api/v2/auth/me",
      status: 200,
      identity: `user:${s.user.id}`,
    });
    expect(typeof line.duration_ms).toBe("number");
    expect(lines[0]).not.toContain("logged@example.com");
    expect(lines[0]).not.toContain(s.access_token);
  });

  it("logs failed logins without the password or the e-mail", async () => {
    const lines: string[] = [];
    const app = createApp({ accessLog: { sink: (l) => lines.push(l), level: "debug" } });
    const res = await send(
      app,
      new Request("https://panel.test/api/v2/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "nobody@example.com", password: PASSWORD }),
      }),
    );
    expect(res.status).toBe(401);
    const all = lines.join("\n");
    expect(all).toContain('"status":401');
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain("nobody@example.com");
  });
});
