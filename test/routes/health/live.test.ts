import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchWith } from "../../app/broken-env.ts";
import { expectProblem } from "../../helpers.ts";

describe("GET /health/live", () => {
  it("answers ok without I/O", async () => {
    const res = await exports.default.fetch("https://panel.test/health/live");
    expect(res.status, `body: ${await res.clone().text()}`).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("does not depend on configuration: 200 with every secret missing or invalid", async () => {
    const broken = {
      ENVIRONMENT: "staging",
      JWT_SECRET: undefined,
      ENCRYPTION_KEY: "not base64 at all",
      METRICS_TOKEN: undefined,
      TURNSTILE_SECRET: undefined,
      REQUEST_TIMEOUT_MS: "soon",
    };
    const live = await fetchWith(broken, "/health/live");
    expect(live.status, `body: ${await live.clone().text()}`).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    expect(live.headers.get("x-request-id")).toBeTruthy();
    expect(live.headers.get("x-content-type-options")).toBe("nosniff");

    // Every other route still refuses with the problem naming each variable.
    for (const path of ["/health/ready", "/api/v2/servers", "/openapi.json"]) {
      const body = await expectProblem(await fetchWith(broken, path), 500, "misconfigured");
      expect(body.errors).toEqual([
        { path: "JWT_SECRET", message: "JWT_SECRET is not set" },
        { path: "ENCRYPTION_KEY", message: "ENCRYPTION_KEY must be base64 of exactly 32 bytes" },
        { path: "METRICS_TOKEN", message: "METRICS_TOKEN is not set" },
        { path: "TURNSTILE_SECRET", message: "TURNSTILE_SECRET is not set" },
        { path: "REQUEST_TIMEOUT_MS", message: "REQUEST_TIMEOUT_MS must be a number" },
      ]);
      expect(body.detail).toContain("JWT_SECRET is not set");
    }
  });

  it("staging boots with its feature secrets, and not without METRICS_TOKEN (/metrics reads it) or TURNSTILE_SECRET (submissions read it)", async () => {
    const { PRODUCTION_VARS } = await import("../../helpers.ts");
    const staging = { ...PRODUCTION_VARS, ENVIRONMENT: "staging" };
    const res = await fetchWith(staging, "/health/ready");
    expect(res.status, `body: ${await res.clone().text()}`).toBe(200);
    for (const secret of ["METRICS_TOKEN", "TURNSTILE_SECRET"]) {
      const body = await expectProblem(
        await fetchWith({ ...staging, [secret]: undefined }, "/health/ready"),
        500,
        "misconfigured",
      );
      expect(body.errors).toEqual([{ path: secret, message: `${secret} is not set` }]);
    }
  });
});
