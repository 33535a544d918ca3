import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { refreshTokens } from "../../db/schema.ts";
import { randomBytes, sha256Hex, toBase64Url } from "../../lib/encoding.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { revokeFamilyAccess } from "./revocation.ts";

export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const TOKEN_PREFIX = "eprt_";

/** Mints an opaque refresh token (256 random bits); only its SHA-256 is stored. */
export async function issueRefreshToken(
  db: Database,
  userId: string,
  familyId: string = uuidv7(),
): Promise<{ token: string; expiresAt: string }> {
  const token = `${TOKEN_PREFIX}${toBase64Url(randomBytes(32))}`;
  const now = Date.now();
  const expiresAt = nowIso(now + REFRESH_TOKEN_TTL_MS);
  await db.insert(refreshTokens).values({
    id: uuidv7(),
    userId,
    familyId,
    tokenHash: await sha256Hex(token),
    expiresAt,
    createdAt: nowIso(now),
  });
  return { token, expiresAt };
}

export type RotateError = "invalid" | "reused";

/**
 * Exchanges a refresh token for a new one in the same family. The old token is
 * marked rotated with a conditional UPDATE, so of two concurrent uses exactly one
 * wins; presenting an already-rotated token is treated as theft and revokes the
 * whole family (RFC 9700 §4.14.2).
 */
export async function rotateRefreshToken(
  db: Database,
  kv: KVNamespace,
  token: string,
): Promise<
  Result<{ userId: string; token: string; expiresAt: string; familyId: string }, RotateError>
> {
  const hash = await sha256Hex(token);
  const row = await db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash)).get();
  const now = nowIso();
  if (!row || row.revokedAt || row.expiresAt <= now) return err("invalid");
  if (row.rotatedAt) {
    await revokeFamily(db, kv, row.familyId);
    return err("reused", row.familyId);
  }
  const claimed = await db
    .update(refreshTokens)
    .set({ rotatedAt: now })
    .where(
      and(
        eq(refreshTokens.id, row.id),
        isNull(refreshTokens.rotatedAt),
        isNull(refreshTokens.revokedAt),
      ),
    )
    .returning({ id: refreshTokens.id })
    .all();
  if (claimed.length === 0) {
    // Lost a race with another use of the same token: that is reuse too.
    await revokeFamily(db, kv, row.familyId);
    return err("reused", row.familyId);
  }
  const next = await issueRefreshToken(db, row.userId, row.familyId);
  return ok({ userId: row.userId, familyId: row.familyId, ...next });
}

/**
 * Ends a session: every refresh token of the family, and (through the short-lived
 * revocation list) every access token issued to it that has not expired yet.
 */
export async function revokeFamily(db: Database, kv: KVNamespace, familyId: string): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: nowIso() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  await revokeFamilyAccess(kv, familyId);
}

/** Logout: revokes the token's whole family. Unknown tokens are ignored (idempotent). */
export async function revokeRefreshToken(
  db: Database,
  kv: KVNamespace,
  token: string,
): Promise<{ userId: string; familyId: string } | null> {
  const row = await db
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await sha256Hex(token)))
    .get();
  if (!row) return null;
  await revokeFamily(db, kv, row.familyId);
  return { userId: row.userId, familyId: row.familyId };
}

/** Revokes every session of a user (deactivation, deletion, password change). */
export async function revokeAllForUser(db: Database, userId: string): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: nowIso() })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}
