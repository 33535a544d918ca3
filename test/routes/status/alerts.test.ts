import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../../src/lib/ids.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { StatusSchema } from "../../../src/routes/status/schemas.ts";
import { clearAlert, raiseAlert } from "../../../src/services/alerts/alerts.ts";
import { api, expectBody } from "../../helpers.ts";

const deps = { env, ctx: { waitUntil: () => {} }, logger: createLogger({}, "error") };

const status = async () =>
  expectBody(await api(`/status.json?fresh=${uuidv7()}`), 200, StatusSchema);

describe("anomaly alerts on the status page", () => {
  it("raising and clearing an alert purge the cached page: no wait for its 30 s", async () => {
    const pending: Promise<unknown>[] = [];
    const waiting = { ...deps, ctx: { waitUntil: (p: Promise<unknown>) => void pending.push(p) } };
    const cached = async () => expectBody(await api("/status.json"), 200, StatusSchema);
    const before = await cached(); // now in the edge cache
    expect(before.incidents.active.some((i) => i.source === "alert")).toBe(false);
    const { alert } = await raiseAlert(waiting, {
      metric: "errors_4xx",
      value: 400,
      mean: 10,
      zScore: 8,
      threshold: 4,
    });
    await Promise.all(pending.splice(0));
    expect((await cached()).incidents.active.map((i) => i.id)).toContain(`alert-${alert.id}`);
    await clearAlert(waiting, "errors_4xx");
    await Promise.all(pending.splice(0));
    expect((await cached()).incidents.active.map((i) => i.id)).not.toContain(`alert-${alert.id}`);
  });

  it("an open alert is a current API incident in plain words; cleared, it moves to the history", async () => {
    const { alert } = await raiseAlert(deps, {
      metric: "errors_5xx",
      value: 120,
      mean: 3,
      zScore: 9.5,
      threshold: 4,
    });
    let s = await status();
    const shown = s.incidents.active.find((i) => i.id === `alert-${alert.id}`);
    expect(shown).toMatchObject({
      source: "alert",
      title: "Elevated API error rate",
      status: "investigating",
      impact: "major",
      component: "api",
      resolved_at: null,
    });
    // The internal figures stay in the admin API.
    expect(JSON.stringify(shown)).not.toContain("9.5");
    // A major incident: the API shows degraded at least, whatever its checks say.
    expect(["degraded", "outage"]).toContain(s.components.find((c) => c.id === "api")!.state);

    const page = await (await api(`/status?fresh=${uuidv7()}`)).text();
    expect(page).toContain("Elevated API error rate");
    const feed = await (await api(`/status/feed.atom?fresh=${uuidv7()}`)).text();
    expect(feed).toContain(`/status#incident-alert-${alert.id}`);

    await clearAlert(deps, "errors_5xx");
    s = await status();
    expect(s.incidents.active.map((i) => i.id)).not.toContain(`alert-${alert.id}`);
    const past = s.incidents.recent.find((i) => i.id === `alert-${alert.id}`)!;
    expect(past.status).toBe("resolved");
    expect(past.resolved_at).not.toBeNull();
    expect(past.updates.map((u) => u.status)).toEqual(["resolved", "investigating"]);
  });

  it("a traffic anomaly is shown without impact on the state", async () => {
    const { alert } = await raiseAlert(deps, {
      metric: "requests",
      value: 900,
      mean: 100,
      zScore: 8,
      threshold: 4,
    });
    const s = await status();
    expect(s.incidents.active.find((i) => i.id === `alert-${alert.id}`)?.impact).toBe("none");
    await clearAlert(deps, "requests");
  });
});
