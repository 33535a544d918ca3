import { LruCache } from "../../cache/lru.ts";
import type { Database } from "../../db/client.ts";
import { findUserById } from "../../db/queries/users.ts";
import type { Role } from "../../db/schema.ts";
import {
  type KeyRecord,
  keyHashesOfOwner,
  loadKeyRecord,
  touchLastUsed,
} from "../api-keys/api-keys.ts";

/**
 * Credential lookups are on every authenticated request, so they are cached in
 * two tiers. Staleness bound: a record is never used more than KEY_TTL_MS after it
 * was read from D1 (KV entries carry their read time; the isolate copy expires at
 * the same deadline). Invalidation deletes the isolate copy and the KV entry at
 * once, so a revocation is immediate in the revoking isolate and effective within
 * 60 s everywhere (KV's own propagation is within that bound too).
 */
export const KEY_TTL_MS = 60_000;
const USER_TTL_MS = 30_000;

// Safe across requests: values are plain data, keyed by hash/id, each with a deadline.
const keys = new LruCache<KeyRecord>(10_000);
/**
 * Hashes that matched no key. Kept apart from `keys` (so a flood of random keys
 * cannot evict real ones) and only in the isolate: writing them to KV would let every
 * guess cost a KV write.
 */
const unknownKeys = new LruCache<true>(2_000);
const usersCache = new LruCache<{ role: Role; disabled: boolean } | null>(10_000);
const lastTouched = new Map<string, number>();

const kvKey = (hash: string) => `auth:key:v1:${hash}`;

interface CacheEnv {
  CACHE: KVNamespace;
}

/**
 * The key with this hash, or null. `beforeStorage` runs only when the isolate does
 * not know the answer, right before KV and D1 are read: the place to refuse a caller
 * who has failed too often (it may throw).
 */
export async function lookupKey(
  env: CacheEnv,
  db: Database,
  keyHash: string,
  waitUntil: (p: Promise<unknown>) => void,
  beforeStorage?: () => Promise<void>,
): Promise<KeyRecord | null> {
  const local = keys.get(keyHash);
  if (local !== undefined) return local;
  if (unknownKeys.get(keyHash)) return null;
  await beforeStorage?.();
  const now = Date.now();
  const stored = await env.CACHE.get<{ r: KeyRecord | null; at: number }>(
    kvKey(keyHash),
    "json",
  ).catch(() => null);
  if (stored?.r && now - stored.at < KEY_TTL_MS) {
    keys.set(keyHash, stored.r, KEY_TTL_MS - (now - stored.at), now);
    return stored.r;
  }
  const record = await loadKeyRecord(db, keyHash);
  if (!record) {
    unknownKeys.set(keyHash, true, KEY_TTL_MS, now);
    return null;
  }
  keys.set(keyHash, record, KEY_TTL_MS, now);
  waitUntil(
    env.CACHE.put(kvKey(keyHash), JSON.stringify({ r: record, at: now }), {
      expirationTtl: 60,
    }).catch(() => {}),
  );
  return record;
}

/** Drops a key from both tiers (revoke, rotate). */
export async function invalidateKey(env: CacheEnv, keyHash: string): Promise<void> {
  keys.delete(keyHash);
  unknownKeys.delete(keyHash);
  await env.CACHE.delete(kvKey(keyHash));
}

/** Drops every key of a user and the user itself (role change, deactivation, deletion). */
export async function invalidateUser(env: CacheEnv, db: Database, userId: string): Promise<void> {
  await invalidateUserKeys(env, userId, await keyHashesOfOwner(db, userId));
}

/** As {@link invalidateUser}, with the key hashes read beforehand (the user is being deleted). */
export async function invalidateUserKeys(
  env: CacheEnv,
  userId: string,
  keyHashes: string[],
): Promise<void> {
  usersCache.delete(userId);
  keys.deleteWhere((r) => r.ownerId === userId);
  await Promise.all(keyHashes.map((h) => env.CACHE.delete(kvKey(h))));
}

/** Current role and status of a token's user (tokens outlive role changes; this does not). */
export async function lookupUser(
  db: Database,
  userId: string,
): Promise<{ role: Role; disabled: boolean } | null> {
  const local = usersCache.get(userId);
  if (local !== undefined) return local;
  const row = await findUserById(db, userId);
  const value = row ? { role: row.role, disabled: row.disabledAt !== null } : null;
  usersCache.set(userId, value, USER_TTL_MS);
  return value;
}

/**
 * Records use of a key at most once a minute per key per isolate, in waitUntil,
 * so `last_used_at` costs no D1 write on the request path.
 */
export function noteKeyUse(
  db: Database,
  record: KeyRecord,
  waitUntil: (p: Promise<unknown>) => void,
  now = Date.now(),
): void {
  const last =
    lastTouched.get(record.id) ?? (record.lastUsedAt ? Date.parse(record.lastUsedAt) : 0);
  if (now - last < 60_000) return;
  lastTouched.set(record.id, now);
  if (lastTouched.size > 10_000) lastTouched.delete(lastTouched.keys().next().value!);
  waitUntil(touchLastUsed(db, record.id, new Date(now).toISOString()).catch(() => {}));
}

/** Test hook: forget every isolate-local entry. */
export function clearCredentialCaches(): void {
  keys.clear();
  unknownKeys.clear();
  usersCache.clear();
  lastTouched.clear();
}
