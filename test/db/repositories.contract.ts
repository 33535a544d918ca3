import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client.ts";
import { isUniqueViolation } from "../../src/db/errors.ts";
import { Mutation, rowExists } from "../../src/db/mutation.ts";
import {
  createUser,
  deleteUserStatements,
  findUserById,
  insertUser,
  newUserRow,
  noUsersYet,
} from "../../src/db/queries/users.ts";
import {
  apiKeys,
  auditLogs,
  jobs,
  refreshTokens,
  serverChecks,
  servers,
  users,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../../src/db/schema.ts";
import { getKeyring } from "../../src/lib/crypto.ts";
import { nowIso, uuidv7 } from "../../src/lib/ids.ts";
import { enqueueJobs, sweepUnsentJobs } from "../../src/queues/enqueue.ts";
import {
  addRotation,
  keyStillActive,
  loadKeyRecord,
  newApiKey,
  planRotation,
  revokeApiKeyIfActive,
} from "../../src/services/api-keys/api-keys.ts";
import { auditRow, recordAudit, verifyAudit } from "../../src/services/audit/audit-log.ts";
import { sealingLag, sealPending } from "../../src/services/audit/seal.ts";
import {
  findRefreshToken,
  newRefreshToken,
  rotateRefreshToken,
} from "../../src/services/auth/refresh-tokens.ts";
import {
  claim,
  complete,
  markCommitted,
  release,
} from "../../src/services/idempotency/idempotency.ts";
import {
  deleteServerIfAt,
  insertServerIf,
  listServers,
  newServerRow,
  patchColumns,
  serverAtVersion,
  updateServerIfAt,
} from "../../src/services/servers/servers.ts";

/**
 * Every repository, the same code and the same assertions on D1 (workerd:
 * repositories.test.ts) and libSQL (Node: repositories.node.test.ts), including
 * the batch semantics the write path relies on: all-or-nothing, and rows
 * guarded by a precondition landing exactly when the conditional write applies.
 */
export function repositoriesContract(
  driver: string,
  getDb: () => Promise<Database>,
  /** The session revocation list's store (KV in workerd; a map in Node). */
  kv: () => KVNamespace,
) {
  let db: Database;
  let ownerId: string;
  const ring = getKeyring(btoa("contract-test-key-32-bytes-long!"));
  const count = async (table: string) =>
    Number(
      (await db.get<{ n: number }>(sql`select count(*) as n from ${sql.identifier(table)}`))!.n,
    );

  beforeAll(async () => {
    db = await getDb();
    const owner = await createUser(db, {
      email: `owner-${driver.length}@example.com`,
      name: "Owner",
      passwordHash: null,
      role: "operator",
    });
    if (!owner.ok) throw new Error("owner not created");
    ownerId = owner.value.id;
  });

  describe(`repositories on ${driver}`, () => {
    it("a batch is all or nothing: a unique violation leaves no audit entry behind", async () => {
      const audits = await count("audit_logs");
      const input = {
        name: "dup",
        host: "h.example.com",
        port: 443,
        environment: "production" as const,
        tags: [],
      };
      const first = await newServerRow(await ring, ownerId, input);
      const unit = new Mutation(db);
      unit.write(insertServerIf(db, first));
      unit.record(auditLogs, [auditRow({ actorType: "system", action: "t", resourceType: "s" })]);
      await unit.commit();
      const second = await newServerRow(await ring, ownerId, { ...input, name: "DUP" });
      const again = new Mutation(db);
      again.record(auditLogs, [auditRow({ actorType: "system", action: "t", resourceType: "s" })]);
      again.write(insertServerIf(db, second));
      const error = await again.commit().then(
        () => null,
        (e: unknown) => e,
      );
      expect(isUniqueViolation(error)).toBe(true);
      expect(await count("audit_logs")).toBe(audits + 1);
    });

    it("versioned server writes: guarded rows land exactly when the write applies", async () => {
      const row = await newServerRow(await ring, ownerId, {
        name: "versioned",
        host: "v.example.com",
        port: 443,
        environment: "staging",
        tags: ["a"],
        credentials: "secret",
      });
      await db.insert(servers).values(row);
      const audits = await count("audit_logs");
      const attempt = async (expected: number) => {
        const set = await patchColumns(await ring, row, { port: 8443 + expected });
        const unit = new Mutation(db).onlyIf(rowExists(servers, serverAtVersion(row.id, expected)));
        unit.record(auditLogs, [auditRow({ actorType: "system", action: "u", resourceType: "s" })]);
        const slot = unit.write(updateServerIfAt(db, row.id, expected, set));
        return (await unit.commit())(slot);
      };
      expect(await attempt(1)).toHaveLength(1);
      expect(await attempt(1)).toHaveLength(0); // stale: nothing, not even the audit entry
      expect(await count("audit_logs")).toBe(audits + 1);
      const del = new Mutation(db).onlyIf(rowExists(servers, serverAtVersion(row.id, 2)));
      del.record(auditLogs, [auditRow({ actorType: "system", action: "d", resourceType: "s" })]);
      const gone = del.write(deleteServerIfAt(db, row.id, 2));
      expect((await del.commit())(gone)).toHaveLength(1);
      expect(await count("audit_logs")).toBe(audits + 2);
      const page = await listServers(db, { ownerId }, { filters: {}, sort: "name", limit: 10 });
      expect(page.rows.map((r) => r.name)).toEqual(["dup"]);
    });

    it("first admin is decided inside the batch; a lost race inserts nothing", async () => {
      // The database already has users, so an 'admin if first' insert must not apply.
      const row = newUserRow({
        email: "late@example.com",
        name: "Late",
        passwordHash: null,
        role: "admin",
      });
      const unit = new Mutation(db);
      const inserted = unit.write(insertUser(db, row, noUsersYet));
      unit.record(auditLogs, [auditRow({ actorType: "user", action: "r", resourceType: "user" })], {
        when: rowExists(users, eq(users.id, row.id)),
      });
      expect((await unit.commit())(inserted)).toHaveLength(0);
      expect(await findUserById(db, row.id)).toBeUndefined();
    });

    it("API keys: create, rotate under 'still active' (once), revoke once", async () => {
      const created = await newApiKey(await ring, {
        ownerId,
        name: "k",
        scopes: ["servers:read"],
        requireSignature: true,
      });
      await db.insert(apiKeys).values(created.row);
      const record = await loadKeyRecord(db, created.row.keyHash);
      expect(record).toMatchObject({ ownerId, requireSignature: true, revoked: false });
      const rotate = async () => {
        const plan = await planRotation(await ring, created.row, 60);
        if (!plan.ok) throw new Error("inactive");
        const unit = new Mutation(db).onlyIf(keyStillActive(created.row.id));
        const slot = addRotation(unit, created.row.id, plan.value);
        return (await unit.commit())(slot).length;
      };
      expect(await Promise.all([rotate(), rotate()]).then((r) => r.sort())).toEqual([0, 1]);
      const owned = await db.select().from(apiKeys).where(eq(apiKeys.ownerId, ownerId)).all();
      expect(owned).toHaveLength(2); // the old key and exactly one replacement
      expect(await revokeApiKeyIfActive(db, created.row.id)).toHaveLength(1);
      expect(await revokeApiKeyIfActive(db, created.row.id)).toHaveLength(0);
    });

    it("refresh tokens: of two concurrent rotations one wins, the other is reuse", async () => {
      const first = await newRefreshToken(ownerId);
      await db.insert(refreshTokens).values(first.row);
      const results = await Promise.all([
        rotateRefreshToken(db, kv(), first.token),
        rotateRefreshToken(db, kv(), first.token),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.error)).toEqual(["reused"]);
      // Reuse revoked the whole family, the successor included.
      const winner = results.find((r) => r.ok);
      if (!winner?.ok) throw new Error("no winner");
      expect((await findRefreshToken(db, winner.value.token))?.revokedAt).not.toBeNull();
    });

    it("server checks and user deletion with everything owned, on either driver", async () => {
      const user = newUserRow({
        email: "leaving@example.com",
        name: "Leaving",
        passwordHash: null,
        role: "viewer",
      });
      await db.insert(users).values(user);
      const s = await newServerRow(await ring, user.id, {
        name: "owned",
        host: "o.example.com",
        port: 443,
        environment: "development",
        tags: [],
      });
      await db.insert(servers).values(s);
      await db.insert(serverChecks).values({
        id: uuidv7(),
        serverId: s.id,
        jobId: uuidv7(),
        status: "up",
        httpStatus: 200,
        latencyMs: 12,
        error: null,
        checkedAt: nowIso(),
      });
      // A webhook endpoint with a delivery and its attempt log goes with its owner too.
      const endpointId = uuidv7();
      const eventId = uuidv7();
      const deliveryId = uuidv7();
      const at = nowIso();
      await db.insert(webhookEndpoints).values({
        id: endpointId,
        ownerId: user.id,
        url: "https://hooks.example.com/in",
        events: ["*"],
        secretEnc: "sealed",
        createdAt: at,
        updatedAt: at,
      });
      await db.insert(webhookEvents).values({
        id: eventId,
        type: "server.created",
        ownerId: user.id,
        body: "{}",
        createdAt: at,
      });
      await db.insert(webhookDeliveries).values({
        id: deliveryId,
        eventId,
        endpointId,
        eventType: "server.created",
        createdAt: at,
        updatedAt: at,
      });
      await db
        .insert(webhookAttempts)
        .values({ id: uuidv7(), deliveryId, attempt: 1, statusCode: 500, attemptedAt: at });
      const { dependents, user: userDelete } = deleteUserStatements(db, user.id);
      const unit = new Mutation(db);
      for (const d of dependents) unit.write(d);
      const slot = unit.write(userDelete);
      expect((await unit.commit())(slot)).toHaveLength(1);
      expect(await db.select().from(servers).where(eq(servers.ownerId, user.id)).all()).toEqual([]);
      expect(
        await db.select().from(serverChecks).where(eq(serverChecks.serverId, s.id)).all(),
      ).toEqual([]);
      expect(
        await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.ownerId, user.id)).all(),
      ).toEqual([]);
      expect(
        await db
          .select()
          .from(webhookAttempts)
          .where(eq(webhookAttempts.deliveryId, deliveryId))
          .all(),
      ).toEqual([]);
    });

    it("jobs: enqueued rows keep their payload; the sweep re-sends only old unsent ones", async () => {
      const sent: { job_id: string }[] = [];
      const queue = {
        sendBatch: async (m: Iterable<{ body: { job_id: string } }>) => {
          for (const x of m) sent.push(x.body);
        },
      } as unknown as Queue;
      const [id] = await enqueueJobs(db, queue, [
        { type: "server.probe", payload: { server_id: "s1" } },
      ]);
      expect(sent.map((m) => m.job_id)).toEqual([id]);
      expect(await sweepUnsentJobs(db, queue)).toBe(0);
      await db
        .update(jobs)
        .set({ createdAt: nowIso(Date.now() - 120_000) })
        .where(eq(jobs.id, id!));
      expect(await sweepUnsentJobs(db, queue)).toBe(1);
      expect(sent.map((m) => m.job_id)).toEqual([id, id]);
    });

    it("audit: entries commit unsealed, seal in order, and verify catches tampering", async () => {
      await sealPending(db);
      for (let i = 0; i < 12; i++)
        await recordAudit(db, { actorType: "system", action: "c", resourceType: "t" });
      expect((await sealingLag(db)).unsealed).toBe(12);
      const sealed = await sealPending(db);
      expect(sealed).toMatchObject({ sealed: 12, more: false });
      expect(await sealingLag(db)).toEqual({ unsealed: 0, oldestUnsealedSeconds: 0 });
      expect(await verifyAudit(db)).toMatchObject({ valid: true, unsealed: 0 });
      const victim = sealed.lastSeq! - 3;
      await db.update(auditLogs).set({ action: "forged" }).where(eq(auditLogs.seq, victim));
      expect((await verifyAudit(db)).broken).toMatchObject({
        seq: victim,
        reason: "hash_mismatch",
      });
      await db
        .update(auditLogs)
        .set({ action: "c" })
        .where(and(eq(auditLogs.seq, victim)));
      expect((await verifyAudit(db)).valid).toBe(true);
    });

    it("idempotency: claim once, commit marks it, release leaves a committed claim", async () => {
      const key = `idem-${driver.length}`;
      expect(await claim(db, key, "h1")).toEqual({ claimed: true });
      expect(await claim(db, key, "h1")).toMatchObject({ claimed: false });
      await db.batch([markCommitted(db, key)]);
      await release(db, key); // a failure after the commit must not free the key
      expect(await claim(db, key, "h1")).toMatchObject({
        claimed: false,
        existing: { state: "committed" },
      });
      await complete(db, key, { status: 201, headers: {}, body: "{}" });
      expect(await claim(db, key, "h1")).toMatchObject({
        existing: { state: "done", status: 201 },
      });
      const other = `idem-other-${driver.length}`;
      await claim(db, other, "h2");
      await release(db, other);
      expect(await claim(db, other, "h2")).toEqual({ claimed: true });
    });
  });
}
