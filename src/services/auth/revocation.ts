import { LruCache } from "../../cache/lru.ts";
import { ACCESS_TOKEN_TTL_SECONDS } from "./access-token.ts";

/**
 * Revoked sessions, for access tokens: a JWT is valid until it expires, so ending a
 * session (logout, refresh-token reuse) would leave its access tokens working for up
 * to 15 minutes. Each access token carries its refresh-token family (`fam`); ending
 * the family writes `auth:revoked-family:v1:<fam>` to KV for exactly the access-token
 * lifetime (after that, every token of the family has expired anyway), and
 * `authenticate` refuses tokens of a listed family.
 *
 * Hot path: an isolate cache answers almost every request without I/O. A family is
 * looked up in KV at most once per CHECK_TTL_MS per isolate; a revocation is
 * immediate in the isolate that made it and seen elsewhere within CHECK_TTL_MS + KV's
 * edge cache (KV_CACHE_TTL_S) + KV propagation: about a minute, instead of 15.
 */
const KV_PREFIX = "auth:revoked-family:v1:";
const CHECK_TTL_MS = 30_000;
/** KV's minimum edge cache time; a longer one would delay revocations elsewhere. */
const KV_CACHE_TTL_S = 30;

// Safe between requests: family id → revoked?, each entry with a deadline, bounded.
const families = new LruCache<boolean>(10_000);

/** Ends every access token of `familyId` (already issued, not yet expired). */
export async function revokeFamilyAccess(kv: KVNamespace, familyId: string): Promise<void> {
  families.set(familyId, true, ACCESS_TOKEN_TTL_SECONDS * 1000);
  await kv.put(`${KV_PREFIX}${familyId}`, "1", { expirationTtl: ACCESS_TOKEN_TTL_SECONDS });
}

/**
 * Whether `familyId` was revoked. If KV cannot answer, the token is let through
 * (not cached, so the next request asks again): its signature and expiry were
 * checked, and refusing every session while KV is down would be worse.
 */
export async function isFamilyRevoked(kv: KVNamespace, familyId: string): Promise<boolean> {
  const local = families.get(familyId);
  if (local !== undefined) return local;
  let revoked: boolean;
  try {
    revoked = (await kv.get(`${KV_PREFIX}${familyId}`, { cacheTtl: KV_CACHE_TTL_S })) !== null;
  } catch {
    return false;
  }
  families.set(familyId, revoked, revoked ? ACCESS_TOKEN_TTL_SECONDS * 1000 : CHECK_TTL_MS);
  return revoked;
}

/** Test hook: forget what this isolate knows. */
export function clearRevocationCache(): void {
  families.clear();
}
