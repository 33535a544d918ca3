import { sign, verify } from "hono/jwt";
import type { Role } from "../../db/schema.ts";
import { uuidv7 } from "../../lib/ids.ts";

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const JWT_ISSUER = "edgepanel";
export const JWT_AUDIENCE = "edgepanel-api";

export interface AccessClaims {
  sub: string;
  role: Role;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

/** Signs a 15-minute HS256 access token. */
export async function issueAccessToken(
  secret: string,
  user: { id: string; role: Role },
  now = Math.floor(Date.now() / 1000),
): Promise<{ token: string; claims: AccessClaims }> {
  const claims: AccessClaims = {
    sub: user.id,
    role: user.role,
    jti: uuidv7(),
    iat: now,
    exp: now + ACCESS_TOKEN_TTL_SECONDS,
    iss: JWT_ISSUER,
    aud: JWT_AUDIENCE,
  };
  return { token: await sign({ ...claims }, secret, "HS256"), claims };
}

/**
 * Verifies signature (HS256 only: `alg: none` and every other algorithm are
 * refused by hono/jwt when the algorithm is pinned), expiry, issuer and audience.
 * Returns null for any invalid token; the reason is not the caller's business.
 */
export async function verifyAccessToken(
  secret: string,
  token: string,
): Promise<AccessClaims | null> {
  try {
    const payload = await verify(token, secret, {
      alg: "HS256",
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
      exp: true,
      nbf: true,
      iat: true,
    });
    if (
      typeof payload.sub !== "string" ||
      typeof payload.jti !== "string" ||
      typeof payload.exp !== "number" ||
      !["admin", "operator", "viewer"].includes(payload.role as string)
    ) {
      return null;
    }
    return payload as unknown as AccessClaims;
  } catch {
    return null;
  }
}
