import { and, asc, eq, gt, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
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

/** Creates a key; the plaintext key (and signing secret) exist only in the return value. */
export async function createApiKey(
  db: Database,
  ring: Keyring,
  input: CreateApiKeyInput,
): Promise<CreatedApiKey> {
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
  await db.insert(apiKeys).values(row);
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

export async function revokeApiKey(db: Database, id: string): Promise<ApiKeyRow | undefined> {
  const now = nowIso();
  return db
    .update(apiKeys)
    .set({ revokedAt: now, updatedAt: now })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning()
    .get();
}

/**
 * Issues a replacement key with the same settings and lets the old one live on for
 * `graceSeconds` (never longer than it already had). The old key's row is updated
 * only if it is still active, so two concurrent rotations cannot both succeed.
 */
export async function rotateApiKey(
  db: Database,
  ring: Keyring,
  old: ApiKeyRow,
  graceSeconds: number,
): Promise<Result<CreatedApiKey & { oldExpiresAt: string }, "inactive">> {
  const now = Date.now();
  if (old.revokedAt || old.replacedBy || (old.expiresAt && old.expiresAt <= nowIso(now)))
    return err("inactive");
  const graceEnd = nowIso(now + graceSeconds * 1000);
  const oldExpiresAt = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
  const created = await createApiKey(db, ring, {
    ownerId: old.ownerId,
    name: old.name,
    scopes: old.scopes,
    expiresAt: old.expiresAt,
    rateLimitPerMinute: old.rateLimitPerMinute,
    allowedCidrs: old.allowedCidrs,
    maxConcurrency: old.maxConcurrency,
    requireSignature: old.requireSignature,
  });
  const updated = await db
    .update(apiKeys)
    .set({ expiresAt: oldExpiresAt, replacedBy: created.row.id, updatedAt: nowIso(now) })
    .where(and(eq(apiKeys.id, old.id), isNull(apiKeys.replacedBy), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id })
    .all();
  if (updated.length === 0) {
    await db.delete(apiKeys).where(eq(apiKeys.id, created.row.id));
    return err("inactive");
  }
  return ok({ ...created, oldExpiresAt });
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
