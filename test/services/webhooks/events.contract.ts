import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/client.ts";
import { createUser } from "../../../src/db/queries/users.ts";
import {
  jobs,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../../../src/db/schema.ts";
import { isUuid, nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { WriteUnit } from "../../../src/lib/mutate.ts";
import { createLogger } from "../../../src/observability/logger.ts";
import type { JobMessage } from "../../../src/queues/enqueue.ts";
import { emitEvent } from "../../../src/services/webhooks/events.ts";

/**
 * emitEvent's fan-out is SQL inside the caller's batch (INSERT … SELECT over the
 * endpoints, json_each over their subscriptions, ids from randomblob): the same
 * assertions on D1 (workerd: events.test.ts) and libSQL (Node: events.node.test.ts).
 */
export function emitEventContract(driver: string, getDb: () => Promise<Database>) {
  let db: Database;
  let owner: string;
  let adminId: string;
  let stranger: string;
  const sent: JobMessage[] = [];
  const pending: Promise<unknown>[] = [];
  const unit = () =>
    new WriteUnit(
      db,
      {
        env: {
          JOBS: {
            sendBatch: async (ms: Iterable<MessageSendRequest<JobMessage>>) => {
              for (const m of ms) sent.push(m.body);
            },
          } as unknown as Queue,
          AUDIT_SEQUENCER: {} as never,
        },
        waitUntil: (p) => void pending.push(p),
        logger: createLogger({}, "error"),
      },
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    );
  const endpoint = async (ownerId: string, events: string[], enabled = true) => {
    const id = uuidv7();
    const now = nowIso();
    await db.insert(webhookEndpoints).values({
      id,
      ownerId,
      url: `https://${id}.example.com/`,
      events,
      enabled,
      secretEnc: "v1.x.y.z",
      createdAt: now,
      updatedAt: now,
    });
    return id;
  };
  const user = async (role: "admin" | "operator") => {
    const created = await createUser(db, {
      email: `${role}-${uuidv7()}@example.com`,
      name: role,
      role,
      passwordHash: null,
    });
    if (!created.ok) throw new Error("user not created");
    return created.value.id;
  };

  beforeAll(async () => {
    db = await getDb();
    owner = await user("operator");
    stranger = await user("operator");
    adminId = await user("admin");
  });

  describe(`emitEvent on ${driver}`, () => {
    it("writes the event, one delivery and one job per subscribed endpoint, in the caller's batch", async () => {
      const subscribed = await endpoint(owner, ["server.created"]);
      const wildcard = await endpoint(adminId, ["*"]);
      const unsubscribed = await endpoint(owner, ["server.deleted"]);
      const disabled = await endpoint(owner, ["*"], false);
      const strangers = await endpoint(stranger, ["*"]);

      const u = unit();
      const eventId = emitEvent(u, "server.created", { id: "s-1" }, { ownerId: owner });
      await u.commit();
      await Promise.all(pending);

      const event = await db
        .select()
        .from(webhookEvents)
        .where(eq(webhookEvents.id, eventId))
        .get();
      expect(JSON.parse(event!.body)).toMatchObject({
        id: eventId,
        type: "server.created",
        data: { id: "s-1" },
      });
      const deliveries = await db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.eventId, eventId))
        .all();
      expect(deliveries.map((d) => d.endpointId).sort()).toEqual([subscribed, wildcard].sort());
      for (const id of [unsubscribed, disabled, strangers])
        expect(deliveries.some((d) => d.endpointId === id)).toBe(false);
      for (const d of deliveries) {
        expect(isUuid(d.id), d.id).toBe(true);
        // Time-ordered like every id: the event's millisecond.
        expect(d.id.slice(0, 13)).toBe(eventId.slice(0, 13));
        expect(d).toMatchObject({ status: "pending", attempts: 0, eventType: "server.created" });
        const job = await db
          .select()
          .from(jobs)
          .where(eq(jobs.id, `${d.id}.1`))
          .get();
        expect(job).toMatchObject({
          type: "webhook.deliver",
          status: "queued",
          payload: { delivery_id: d.id, attempt: 1 },
        });
      }
      expect(sent.map((m) => m.job_id).sort()).toEqual(deliveries.map((d) => `${d.id}.1`).sort());
    });

    it("a system event (no owner) goes to admins' endpoints only; a false condition writes nothing", async () => {
      const mine = await endpoint(owner, ["alert.raised"]);
      const admins = await endpoint(adminId, ["alert.raised"]);
      const u = unit();
      const eventId = emitEvent(u, "alert.raised", { metric: "errors" }, { ownerId: null });
      await u.commit();
      const targets = await db
        .select({ endpointId: webhookDeliveries.endpointId })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.eventId, eventId))
        .all();
      // Every admin endpoint subscribed to it (the first test's `*` one too), no one else's.
      expect(targets.map((t) => t.endpointId)).toContain(admins);
      expect(targets.some((t) => t.endpointId === mine)).toBe(false);

      const never = unit().onlyIf(sql`1 = 0`);
      const lost = emitEvent(never, "alert.raised", {}, { ownerId: null });
      never.write(db.update(webhookEndpoints).set({ description: "x" }).where(sql`1 = 0`));
      await never.commit();
      expect(await db.select().from(webhookEvents).where(eq(webhookEvents.id, lost)).get()).toBe(
        undefined,
      );
      expect(
        await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, lost)).all(),
      ).toEqual([]);
    });
  });
}
