import type { SQL } from "drizzle-orm";
import type { Mutation } from "../../db/mutation.ts";
import { refreshTokens, type UserRow } from "../../db/schema.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "./access-token.ts";
import { type NewRefreshTokenRow, newRefreshToken } from "./refresh-tokens.ts";

/**
 * A fresh access + refresh token pair (a new refresh-token family) for a user:
 * the token body, and the refresh token's row for the caller to commit with the
 * rest of the sign-in (audit entry, new user).
 */
export async function newSession(jwtSecret: string, user: Pick<UserRow, "id" | "role">) {
  const familyId = uuidv7();
  const [{ token }, refresh] = await Promise.all([
    issueAccessToken(jwtSecret, user, familyId),
    newRefreshToken(user.id, familyId),
  ]);
  return {
    row: refresh.row as NewRefreshTokenRow,
    body: {
      access_token: token,
      refresh_token: refresh.token,
      token_type: "Bearer" as const,
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
    },
  };
}

/** Adds a new session's refresh token to a sign-in's mutation (only when `when` holds, if given). */
export function recordSession(
  unit: Mutation,
  session: Awaited<ReturnType<typeof newSession>>,
  when?: SQL,
): void {
  unit.record(refreshTokens, [session.row], when ? { when } : {});
}
