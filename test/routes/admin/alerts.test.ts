import { env } from "cloudflare:workers";
import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { getDatabase } from "../../../src/db/client.ts";
import {
  alerts,
  auditLogs,
  jobs,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../../../src/db/schema.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import { AlertSchema } from "../../../src/routes/admin/alerts.ts";
import { clearAlert, raiseAlert } from "../../../src/services/alerts/alerts.ts";
import { api, expectBody, expectProblem, type Session, seedUser } from "../../helpers.ts";
import { capturingQueue } from "../webhooks/helpers.ts";

const AlertList = z.object({ data: z.array(AlertSchema), next_cursor: z.string().nullable() });

let admin: Session;
let operator: Session;
const db = getDatabase(env);
const capture = capturingQueue();
const deps = {
  env: { ...env, JOBS: capture.queue },
  ctx: { waitUntil: () => {} },
  logger: createLogger({}, "error"),
};
const spike = { value: 120, mean: 10, zScore: 11, threshold: 4 };

beforeAll(async () => {
  admin = await seedUser({ role: "admin" });
  operator = await seedUser({ role: "operator" });
  // An admin's endpoint subscribed to every event, and an operator's: only the admin's gets alerts.
  const endpoint = (ownerId: string) => ({
    id: uuidv7(),
    ownerId,
    url: "https://hooks.example.com/in",
    secretEnc: "x",
    events: ["*"],
    enabled: true,
    createdAt: nowIso(),
    updatedAt: nowIso(),
  });
  await db
    .insert(webhookEndpoints)
    .values([endpoint(admin.user.id), endpoint(operator.user.id)] as never);
});

describe("raiseAlert / clearAlert", () => {
  it("raises once per episode: row, audit entry, alert.raised event for admins, e-mail to admins", async () => {
    capture.take();
    const { alert, raised } = await raiseAlert(deps, { metric: "errors_5xx", ...spike });
    expect(raised).toBe(true);
    const row = await db.select().from(alerts).where(eq(alerts.id, alert.id)).get();
    expect(row).toMatchObject({ metric: "errors_5xx", status: "open", value: 120, zScore: 11 });
    expect(row!.message).toContain("Server error (5xx) rate anomaly: 120 per minute");

    const audit = await db.select().from(auditLogs).where(eq(auditLogs.resourceId, alert.id)).all();
    expect(audit.map((a) => a.action)).toEqual(["alert.raised"]);
    expect(audit[0]!.actorType).toBe("system");

    const event = await db
      .select()
      .from(webhookEvents)
      .where(eq(webhookEvents.type, "alert.raised"))
      .get();
    expect(JSON.parse(event!.body).data).toMatchObject({
      id: alert.id,
      metric: "errors_5xx",
      status: "open",
    });
    const deliveries = await db
      .select({ owner: webhookEndpoints.ownerId })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(eq(webhookDeliveries.eventId, event!.id))
      .all();
    expect(deliveries).toEqual([{ owner: admin.user.id }]);

    const mail = await db
      .select()
      .from(jobs)
      .where(eq(jobs.id, `alert.${alert.id}.email`))
      .get();
    expect(mail).toMatchObject({ type: "email.bulk", status: "queued" });
    expect(mail!.payload).toMatchObject({ role: "admin" });
    expect(capture.sent.map((m) => m.body.type).sort()).toEqual(["email.bulk", "webhook.deliver"]);

    // The same metric again while open: nothing new is committed.
    capture.take();
    const again = await raiseAlert(deps, { metric: "errors_5xx", ...spike, value: 500 });
    expect(again).toMatchObject({ raised: false, alert: { id: alert.id } });
    expect(await db.$count(alerts, eq(alerts.metric, "errors_5xx"))).toBe(1);
    expect(await db.$count(auditLogs, eq(auditLogs.action, "alert.raised"))).toBe(1);
    expect(capture.sent).toEqual([]);
  });

  it("clears the open alert once, with an audit entry; the next episode is a new alert", async () => {
    const { alert } = await raiseAlert(deps, { metric: "requests", ...spike });
    const cleared = await clearAlert(deps, "requests");
    expect(cleared).toMatchObject({ id: alert.id, status: "cleared" });
    expect(cleared!.clearedAt).not.toBeNull();
    expect(await clearAlert(deps, "requests")).toBeNull();
    const audit = await db
      .select()
      .from(auditLogs)
      .where(and(eq(auditLogs.resourceId, alert.id), eq(auditLogs.action, "alert.cleared")))
      .all();
    expect(audit).toHaveLength(1);
    const next = await raiseAlert(deps, { metric: "requests", ...spike });
    expect(next.raised).toBe(true);
    expect(next.alert.id).not.toBe(alert.id);
  });
});

describe("GET /api/v2/admin/alerts", () => {
  it("is for admins only", async () => {
    await expectProblem(await api("/api/v2/admin/alerts"), 401);
    await expectProblem(await api("/api/v2/admin/alerts", { token: operator.access_token }), 403);
  });

  it("lists newest first, filters by status and pages with a cursor", async () => {
    const all = await expectBody(
      await api("/api/v2/admin/alerts?limit=100", { token: admin.access_token }),
      200,
      AlertList,
    );
    expect(all.data.length).toBeGreaterThanOrEqual(3);
    const ids = all.data.map((a) => a.id);
    expect([...ids].sort().reverse()).toEqual(ids);

    const open = await expectBody(
      await api("/api/v2/admin/alerts?status=open", { token: admin.access_token }),
      200,
      AlertList,
    );
    expect(open.data.every((a) => a.status === "open")).toBe(true);
    const cleared = await expectBody(
      await api("/api/v2/admin/alerts?status=cleared", { token: admin.access_token }),
      200,
      AlertList,
    );
    expect(cleared.data.map((a) => a.status)).toEqual(["cleared"]);
    expect(cleared.data[0]!.cleared_at).not.toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const page = await expectBody(
        await api(`/api/v2/admin/alerts?limit=1${q}`, { token: admin.access_token }),
        200,
        AlertList,
      );
      seen.push(...page.data.map((a) => a.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it("refuses a bad cursor, a cursor of another filter, and a bad status", async () => {
    await expectProblem(
      await api("/api/v2/admin/alerts?cursor=%%%", { token: admin.access_token }),
      400,
    );
    const page = await expectBody(
      await api("/api/v2/admin/alerts?limit=1", { token: admin.access_token }),
      200,
      AlertList,
    );
    await expectProblem(
      await api(`/api/v2/admin/alerts?status=open&cursor=${page.next_cursor}`, {
        token: admin.access_token,
      }),
      400,
    );
    await expectProblem(
      await api("/api/v2/admin/alerts?status=closed", { token: admin.access_token }),
      422,
    );
  });
});
