import { and, desc, eq, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { insertIf, rowExists } from "../../db/mutation.ts";
import {
  type WebhookAttemptRow,
  type WebhookDeliveryStatus,
  type WebhookEndpointRow,
  webhookAttempts,
  webhookDeliveries,
  webhookEndpoints,
  webhookEvents,
} from "../../db/schema.ts";
import type { Keyring } from "../../lib/crypto.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { encryptSecret, newWebhookSecret } from "./signing.ts";

/** Admins see every endpoint (`ownerId: null`); everyone else their own. */
export interface Scope {
  ownerId: string | null;
}

/** Endpoints one user may have: each one multiplies every event they cause. */
export const MAX_ENDPOINTS_PER_OWNER = 100;

export const belowEndpointQuota = (ownerId: string): SQL =>
  sql`(select count(*) from ${webhookEndpoints} where ${webhookEndpoints.ownerId} = ${ownerId}) < ${MAX_ENDPOINTS_PER_OWNER}`;

export interface EndpointInput {
  url: string;
  events: string[];
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

/** A new endpoint's row and its secret in clear (shown once, to the creator). */
export async function newEndpoint(
  ring: Keyring,
  ownerId: string,
  input: EndpointInput,
): Promise<{ row: WebhookEndpointRow; secret: string }> {
  const now = nowIso();
  const secret = newWebhookSecret();
  const enabled = input.enabled ?? true;
  return {
    secret,
    row: {
      id: uuidv7(),
      ownerId,
      url: input.url,
      description: input.description ?? null,
      events: [...new Set(input.events)],
      enabled,
      disabledReason: enabled ? null : "manual",
      disabledAt: enabled ? null : now,
      secretEnc: await encryptSecret(ring, secret),
      previousSecretEnc: null,
      previousSecretExpiresAt: null,
      consecutiveFailures: 0,
      failingSince: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    },
  };
}

const scoped = (scope: Scope) =>
  scope.ownerId ? eq(webhookEndpoints.ownerId, scope.ownerId) : undefined;

export const getEndpoint = (db: Database, id: string, scope: Scope) =>
  db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), scoped(scope)))
    .get();

/** A page of endpoints, newest first (keyset on the UUIDv7 id). */
export async function listEndpoints(
  db: Database,
  scope: Scope,
  { limit, before }: { limit: number; before?: string | undefined },
) {
  const rows = await db
    .select()
    .from(webhookEndpoints)
    .where(and(scoped(scope), before ? lt(webhookEndpoints.id, before) : undefined))
    .orderBy(desc(webhookEndpoints.id))
    .limit(limit + 1)
    .all();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

export const endpointAtVersion = (id: string, version: number) =>
  and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.version, version))!;

/** The columns a PATCH changes; enabling clears the failure streak, disabling says it was manual. */
export function patchColumns(
  current: WebhookEndpointRow,
  patch: Partial<EndpointInput>,
  now = nowIso(),
): Partial<WebhookEndpointRow> {
  const set: Partial<WebhookEndpointRow> = { version: current.version + 1, updatedAt: now };
  if (patch.url !== undefined) set.url = patch.url;
  if (patch.events !== undefined) set.events = [...new Set(patch.events)];
  if (patch.description !== undefined) set.description = patch.description;
  if (patch.enabled === true && !current.enabled)
    Object.assign(set, {
      enabled: true,
      disabledReason: null,
      disabledAt: null,
      consecutiveFailures: 0,
      failingSince: null,
    });
  if (patch.enabled === false && current.enabled)
    Object.assign(set, { enabled: false, disabledReason: "manual", disabledAt: now });
  return set;
}

/** What the audit log keeps of an endpoint: never a secret. */
export const auditView = (e: WebhookEndpointRow) => ({
  url: e.url,
  events: e.events,
  description: e.description,
  enabled: e.enabled,
});

export interface DeliveryFilters {
  status?: WebhookDeliveryStatus | undefined;
  event?: string | undefined;
}

/** A page of an endpoint's deliveries, newest first, each with its attempts (oldest first). */
export async function listDeliveries(
  db: Database,
  endpointId: string,
  {
    limit,
    before,
    status,
    event,
  }: DeliveryFilters & { limit: number; before?: string | undefined },
) {
  const d = webhookDeliveries;
  const rows = await db
    .select({ delivery: d, body: webhookEvents.body })
    .from(d)
    .innerJoin(webhookEvents, eq(webhookEvents.id, d.eventId))
    .where(
      and(
        eq(d.endpointId, endpointId),
        status ? eq(d.status, status) : undefined,
        event ? eq(d.eventType, event) : undefined,
        before ? lt(d.id, before) : undefined,
      ),
    )
    .orderBy(desc(d.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  const attempts = page.length
    ? await db
        .select()
        .from(webhookAttempts)
        .where(
          inArray(
            webhookAttempts.deliveryId,
            page.map((r) => r.delivery.id),
          ),
        )
        .orderBy(webhookAttempts.deliveryId, webhookAttempts.attempt)
        .all()
    : [];
  const byDelivery = new Map<string, WebhookAttemptRow[]>();
  for (const a of attempts) {
    const list = byDelivery.get(a.deliveryId) ?? [];
    list.push(a);
    byDelivery.set(a.deliveryId, list);
  }
  return {
    rows: page.map((r) => ({
      ...r.delivery,
      payload: JSON.parse(r.body) as Record<string, unknown>,
      attemptLog: byDelivery.get(r.delivery.id) ?? [],
    })),
    hasMore: rows.length > limit,
  };
}

export const getDelivery = (db: Database, endpointId: string, deliveryId: string) =>
  db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId)))
    .get();

/** Conditions and statements of the endpoint writes (one batch each, see lib/mutate.ts). */
export const endpointExistsAt = (id: string, version: number) =>
  rowExists(webhookEndpoints, endpointAtVersion(id, version));

/** `INSERT … SELECT … WHERE <condition>` of a new endpoint; returns its id when inserted. */
export const insertEndpointIf = (
  db: Database,
  row: WebhookEndpointRow,
  condition: SQL | undefined,
) => insertIf(db, webhookEndpoints, row, condition).returning({ id: webhookEndpoints.id });

/** The versioned UPDATE of a PATCH; returns the new row, or nothing when the version moved on. */
export const updateEndpointIfAt = (
  db: Database,
  id: string,
  version: number,
  set: Partial<WebhookEndpointRow>,
) => db.update(webhookEndpoints).set(set).where(endpointAtVersion(id, version)).returning();

/**
 * A rotation: the new secret in, the one it replaces kept as the previous secret
 * until `previousExpiresAt` (a secret already in its grace period is dropped).
 */
export const rotateSecretIfAt = (
  db: Database,
  id: string,
  version: number,
  secrets: { secretEnc: string; previousSecretEnc: string; previousExpiresAt: string; now: string },
) =>
  db
    .update(webhookEndpoints)
    .set({
      secretEnc: secrets.secretEnc,
      previousSecretEnc: secrets.previousSecretEnc,
      previousSecretExpiresAt: secrets.previousExpiresAt,
      version: sql`${webhookEndpoints.version} + 1`,
      updatedAt: secrets.now,
    })
    .where(endpointAtVersion(id, version))
    .returning();

/**
 * Deleting an endpoint at `version`: its attempts and deliveries first, explicitly
 * (libSQL connections may not enforce foreign-key cascades), under `condition`,
 * then the endpoint (returns its id when deleted).
 */
export function deleteEndpointStatements(
  db: Database,
  id: string,
  version: number,
  condition: SQL | undefined,
) {
  const deliveries = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, id));
  return {
    children: [
      db
        .delete(webhookAttempts)
        .where(and(inArray(webhookAttempts.deliveryId, deliveries), condition)),
      db.delete(webhookDeliveries).where(and(eq(webhookDeliveries.endpointId, id), condition)),
    ],
    endpoint: db
      .delete(webhookEndpoints)
      .where(endpointAtVersion(id, version))
      .returning({ id: webhookEndpoints.id }),
  };
}
