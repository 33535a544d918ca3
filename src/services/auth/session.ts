import type { Database } from "../../db/client.ts";
import type { UserRow } from "../../db/schema.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "./access-token.ts";
import { issueRefreshToken } from "./refresh-tokens.ts";

/** A fresh access + refresh token pair (a new refresh-token family) for a user. */
export async function startSession(db: Database, jwtSecret: string, user: UserRow) {
  const familyId = uuidv7();
  const [{ token }, refresh] = await Promise.all([
    issueAccessToken(jwtSecret, user, familyId),
    issueRefreshToken(db, user.id, familyId),
  ]);
  return {
    access_token: token,
    refresh_token: refresh.token,
    token_type: "Bearer" as const,
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  };
}
