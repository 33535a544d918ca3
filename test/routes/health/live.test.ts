import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /health/live", () => {
  it("answers ok without I/O", async () => {
    const res = await exports.default.fetch("https://panel.test/health/live");
    expect(res.status, `body: ${await res.clone().text()}`).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});
