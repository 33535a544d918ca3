import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type Mutation, rowExists } from "../../db/mutation.ts";
import { type ApiKeyRow, apiKeys, type Role, type Scope, users } from "../../db/schema.ts";
import { encrypt, type Keyring } from "../../lib/crypto.ts";
import { randomBytes, sha256Hex, toBase64Url } from "../../lib/encoding.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { generateApiKey, VISIBLE_PREFIX_LENGTH } from "./format.ts";

export const SIGNING_SECRET_CONTEXT = "api_keys.signing_secret";

export interface CreateApiKeyInput {
  ownerId: string;
  name: string;
  scopes: Scope[];
  expiresAt?: string | null | undefined;
  rateLimitPerMinute?: number | null | undefined;
  allowedCidrs?: string[] | null | undefined;
  maxConcurrency?: number | null | undefined;
  requireSignature?: boolean | undefined;
}

export interface CreatedApiKey {
  row: ApiKeyRow;
  key: string;
  signingSecret: string | null;
}

/**
 * A new key's row; the plaintext key (and signing secret) exist only in the
 * return value. The caller inserts the row in its mutation.
 */
export async function newApiKey(ring: Keyring, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  const key = generateApiKey();
  const now = nowIso();
  const signingSecret = input.requireSignature ? `epss_${toBase64Url(randomBytes(32))}` : null;
  const row: ApiKeyRow = {
    id: uuidv7(),
    ownerId: input.ownerId,
    name: input.name,
    prefix: key.slice(0, VISIBLE_PREFIX_LENGTH),
    keyHash: await sha256Hex(key),
    scopes: input.scopes,
    expiresAt: input.expiresAt ?? null,
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    allowedCidrs: input.allowedCidrs?.length ? input.allowedCidrs : null,
    maxConcurrency: input.maxConcurrency ?? null,
    requireSignature: input.requireSignature ?? false,
    signingSecretEnc: signingSecret
      ? await encrypt(ring, signingSecret, SIGNING_SECRET_CONTEXT)
      : null,
    lastUsedAt: null,
    revokedAt: null,
    replacedBy: null,
    createdAt: now,
    updatedAt: now,
  };
  return { row, key, signingSecret };
}

export async function listApiKeys(
  db: Database,
  ownerId: string,
  { limit, afterId }: { limit: number; afterId?: string | undefined },
): Promise<{ rows: ApiKeyRow[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.ownerId, ownerId), afterId ? gt(apiKeys.id, afterId) : undefined))
    .orderBy(asc(apiKeys.id))
    .limit(limit + 1)
    .all();
  return { rows: rows.slice(0, limit), hasMore: rows.length > limit };
}

/** A key visible to `ownerId` (admins pass null to see any). */
export async function findApiKey(
  db: Database,
  id: string,
  ownerId: string | null,
): Promise<ApiKeyRow | undefined> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), ownerId ? eq(apiKeys.ownerId, ownerId) : undefined))
    .get();
}

/** The INSERT of a new key's row, for a mutation. */
export const insertApiKey = (db: Database, row: ApiKeyRow) => db.insert(apiKeys).values(row);

/** The key exists and is not revoked: the precondition of a revocation. */
export const keyNotRevoked = (id: string) =>
  rowExists(apiKeys, and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))!);

/** The key is still active: not revoked and not replaced by a rotation. */
const keyIsActive = (id: string) =>
  and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt), isNull(apiKeys.replacedBy))!;

/** The key exists and is still active: a rotation's precondition. */
export const keyStillActive = (id: string) => rowExists(apiKeys, keyIsActive(id));

/** Revokes the key if it is not revoked yet; returns it, or nothing. */
export const revokeApiKeyIfActive = (db: Database, id: string, now = nowIso()) =>
  db
    .update(apiKeys)
    .set({ revokedAt: now, updatedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });

export interface Rotation {
  replacement: CreatedApiKey;
  /** When the old key stops working: the grace period, never later than it already would. */
  oldExpiresAt: string;
}

/**
 * Plans a rotation: a replacement key with the same settings, and the old key's
 * shortened life. Inactive keys (revoked, replaced, expired) cannot be rotated.
 * The caller adds it to a mutation under the condition {@link keyStillActive} with
 * {@link addRotation}, so of two concurrent rotations exactly one applies.
 */
export async function planRotation(
  ring: Keyring,
  old: ApiKeyRow,
  graceSeconds: number,
  now = Date.now(),
): Promise<Result<Rotation, "inactive">> {
  if (old.revokedAt || old.replacedBy || (old.expiresAt && old.expiresAt <= nowIso(now)))
    return err("inactive");
  const graceEnd = nowIso(now + graceSeconds * 1000);
  const oldExpiresAt = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
  const replacement = await newApiKey(ring, {
    ownerId: old.ownerId,
    name: old.name,
    scopes: old.scopes,
    expiresAt: old.expiresAt,
    rateLimitPerMinute: old.rateLimitPerMinute,
    allowedCidrs: old.allowedCidrs,
    maxConcurrency: old.maxConcurrency,
    requireSignature: old.requireSignature,
  });
  return ok({ replacement, oldExpiresAt });
}

/** Marks the old key replaced (if still active) and shortens its life to the grace period. */
const retireRotatedKey = (db: Database, oldId: string, rotation: Rotation) =>
  db
    .update(apiKeys)
    .set({
      expiresAt: rotation.oldExpiresAt,
      replacedBy: rotation.replacement.row.id,
      updatedAt: nowIso(),
    })
    .where(keyIsActive(oldId))
    .returning({ id: apiKeys.id });

/**
 * Adds a planned rotation to a mutation whose precondition is {@link keyStillActive}:
 * the replacement's row, then the old key's retirement. Returns the retirement's
 * slot: empty after commit when another rotation got there first.
 */
export function addRotation(unit: Mutation, oldId: string, rotation: Rotation) {
  unit.record(apiKeys, [rotation.replacement.row]);
  return unit.write(retireRotatedKey(unit.db, oldId, rotation));
}

/** What authentication needs about a key and its owner; cached in KV and the isolate. */
export interface KeyRecord {
  id: string;
  ownerId: string;
  ownerRole: Role;
  ownerDisabled: boolean;
  scopes: Scope[];
  expiresAt: string | null;
  revoked: boolean;
  rateLimitPerMinute: number | null;
  allowedCidrs: string[] | null;
  maxConcurrency: number | null;
  requireSignature: boolean;
  signingSecretEnc: string | null;
  lastUsedAt: string | null;
}

/** One indexed read (key_hash is unique) joined to the owner. */
export async function loadKeyRecord(db: Database, keyHash: string): Promise<KeyRecord | null> {
  const row = await db
    .select({ key: apiKeys, ownerRole: users.role, ownerDisabledAt: users.disabledAt })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.ownerId))
    .where(eq(apiKeys.keyHash, keyHash))
    .get();
  if (!row) return null;
  const k = row.key;
  return {
    id: k.id,
    ownerId: k.ownerId,
    ownerRole: row.ownerRole,
    ownerDisabled: row.ownerDisabledAt !== null,
    scopes: k.scopes,
    expiresAt: k.expiresAt,
    revoked: k.revokedAt !== null,
    rateLimitPerMinute: k.rateLimitPerMinute,
    allowedCidrs: k.allowedCidrs,
    maxConcurrency: k.maxConcurrency,
    requireSignature: k.requireSignature,
    signingSecretEnc: k.signingSecretEnc,
    lastUsedAt: k.lastUsedAt,
  };
}

export async function touchLastUsed(db: Database, id: string, at: string): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id));
}

export async function keyHashesOfOwner(db: Database, ownerId: string): Promise<string[]> {
  const rows = await db
    .select({ h: apiKeys.keyHash })
    .from(apiKeys)
    .where(eq(apiKeys.ownerId, ownerId))
    .all();
  return rows.map((r) => r.h);
}
