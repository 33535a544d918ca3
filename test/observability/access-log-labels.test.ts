import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { recordResponse } from "../app/contract.ts";

const ctx = {
  waitUntil() {},
  passThroughOnException() {},
  props: {},
} as unknown as ExecutionContext;

describe("access log labels shared with the metrics", () => {
  it("logs the route template and the error type", async () => {
    const lines: string[] = [];
    const app = createApp({ accessLog: { sink: (l) => lines.push(l), level: "info" } });
    const cases: [
      string,
      Record<string, string>,
      { route: string; status: number; error_type: string },
    ][] = [
      ["/health/live", {}, { route: "/health/live", status: 200, error_type: "none" }],
      ["/no/such/thing", {}, { route: "unmatched", status: 404, error_type: "client" }],
      [
        `/api/v2/servers/${crypto.randomUUID()}`,
        {},
        { route: "/api/v2/servers/:id", status: 401, error_type: "auth" },
      ],
      [
        "/metrics",
        { authorization: "Bearer nope" },
        { route: "/metrics", status: 401, error_type: "auth" },
      ],
    ];
    for (const [path, headers, expected] of cases) {
      const request = new Request(`https://panel.test${path}`, { headers });
      const res = await recordResponse(request, await app.fetch(request, env, ctx));
      expect(res.status).toBe(expected.status);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject(expected);
    }
  });
});
