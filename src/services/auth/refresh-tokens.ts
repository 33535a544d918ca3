import { and, eq, isNull, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { Mutation, rowExists } from "../../db/mutation.ts";
import { refreshTokens } from "../../db/schema.ts";
import { randomBytes, sha256Hex, toBase64Url } from "../../lib/encoding.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import { revokeFamilyAccess } from "./revocation.ts";

export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;
const TOKEN_PREFIX = "eprt_";

export type NewRefreshTokenRow = typeof refreshTokens.$inferInsert;

/**
 * Mints an opaque refresh token (256 random bits) and the row that stores only
 * its SHA-256; the caller commits the row in its mutation.
 */
export async function newRefreshToken(
  userId: string,
  familyId: string = uuidv7(),
  now = Date.now(),
): Promise<{ token: string; expiresAt: string; row: NewRefreshTokenRow }> {
  const token = `${TOKEN_PREFIX}${toBase64Url(randomBytes(32))}`;
  const expiresAt = nowIso(now + REFRESH_TOKEN_TTL_MS);
  return {
    token,
    expiresAt,
    row: {
      id: uuidv7(),
      userId,
      familyId,
      tokenHash: await sha256Hex(token),
      expiresAt,
      createdAt: nowIso(now),
    },
  };
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
  // One batch: the successor is inserted only if the old token is still
  // unrotated and unrevoked, and the same condition guards marking it rotated,
  // so of two concurrent uses exactly one gets a successor.
  const next = await newRefreshToken(row.userId, row.familyId);
  const unused = and(
    eq(refreshTokens.id, row.id),
    isNull(refreshTokens.rotatedAt),
    isNull(refreshTokens.revokedAt),
  )!;
  const unit = new Mutation(db).onlyIf(rowExists(refreshTokens, unused));
  unit.record(refreshTokens, [next.row]);
  const claimed = unit.write(
    db
      .update(refreshTokens)
      .set({ rotatedAt: now })
      .where(unused)
      .returning({ id: refreshTokens.id }),
  );
  if ((await unit.commit())(claimed).length === 0) {
    // Lost a race with another use of the same token: that is reuse too.
    await revokeFamily(db, kv, row.familyId);
    return err("reused", row.familyId);
  }
  return ok({
    userId: row.userId,
    familyId: row.familyId,
    token: next.token,
    expiresAt: next.expiresAt,
  });
}

/** Revokes every live refresh token of a family (for a mutation's batch). */
export const revokeFamilyStatement = (db: Database, familyId: string) =>
  db
    .update(refreshTokens)
    .set({ revokedAt: nowIso() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));

/**
 * Ends a session: every refresh token of the family, and (through the short-lived
 * revocation list) every access token issued to it that has not expired yet.
 */
export async function revokeFamily(db: Database, kv: KVNamespace, familyId: string): Promise<void> {
  await revokeFamilyStatement(db, familyId);
  await revokeFamilyAccess(kv, familyId);
}

/** The stored token for a presented refresh token, if any. */
export async function findRefreshToken(db: Database, token: string) {
  return db
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, await sha256Hex(token)))
    .get();
}

/** Revokes every session of a user (deactivation), under an optional extra condition. */
export const revokeAllForUserWhere = (db: Database, userId: string, onlyIf?: SQL) =>
  db
    .update(refreshTokens)
    .set({ revokedAt: nowIso() })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt), onlyIf));
