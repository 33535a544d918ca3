import { sign, verify } from "hono/jwt";
import { ROLES, type Role } from "../../db/schema.ts";
import { uuidv7 } from "../../lib/ids.ts";
import { err, ok, type Result } from "../../lib/result.ts";

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
  /** The refresh-token family (session) this token was issued to; see revocation.ts. */
  fam?: string;
}

/** Signs a 15-minute HS256 access token for the session (refresh-token family) `familyId`. */
export async function issueAccessToken(
  secret: string,
  user: { id: string; role: Role },
  familyId: string,
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
    fam: familyId,
  };
  return { token: await sign({ ...claims }, secret, "HS256"), claims };
}

/**
 * Verifies signature (HS256 only: `alg: none` and every other algorithm are
 * refused by hono/jwt when the algorithm is pinned), issuer, audience, then expiry.
 * `expired` is reported only for a token we signed ourselves (its signature and
 * claims are valid): a client that merely kept a token too long, not a guess.
 */
export async function verifyAccessToken(
  secret: string,
  token: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<Result<AccessClaims, "invalid" | "expired">> {
  let payload: Record<string, unknown>;
  try {
    // hono/jwt checks expiry before the signature, so expiry is checked below instead.
    payload = await verify(token, secret, {
      alg: "HS256",
      iss: JWT_ISSUER,
      aud: JWT_AUDIENCE,
      exp: false,
      nbf: true,
      iat: true,
    });
  } catch {
    return err("invalid");
  }
  if (!hasAccessClaims(payload)) return err("invalid");
  if (payload.exp <= nowSeconds) return err("expired");
  return ok(payload);
}

/** The claims our tokens carry, with the types we rely on (issuer and audience are checked by `verify`). */
function hasAccessClaims(
  payload: Record<string, unknown>,
): payload is Record<string, unknown> & AccessClaims {
  return (
    typeof payload.sub === "string" &&
    typeof payload.jti === "string" &&
    typeof payload.exp === "number" &&
    Number.isFinite(payload.exp) &&
    ROLES.some((role) => role === payload.role) &&
    (payload.fam === undefined || typeof payload.fam === "string")
  );
}
