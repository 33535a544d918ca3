import type { Context, MiddlewareHandler } from "hono";
import type { Role, Scope } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { addressBucket, ipInAny } from "../lib/cidr.ts";
import { clientIp } from "../lib/client-ip.ts";
import { decrypt, keyringFor } from "../lib/crypto.ts";
import { sha256Hex } from "../lib/encoding.ts";
import { ApiError } from "../lib/problem.ts";
import { authFailureReason, increment } from "../observability/metrics.ts";
import { countFailure, peekFailures } from "../rate-limit/failures.ts";
import { limiterStub, rateLimitHeaders, withBudget } from "../rate-limit/limiter.ts";
import { POLICIES } from "../rate-limit/policies.ts";
import type { Decision } from "../rate-limit/sliding-log.ts";
import { SIGNING_SECRET_CONTEXT } from "../services/api-keys/api-keys.ts";
import { isWellFormedApiKey, looksLikeApiKey } from "../services/api-keys/format.ts";
import { verifyAccessToken } from "../services/auth/access-token.ts";
import { lookupKey, lookupUser, noteKeyUse } from "../services/auth/credential-cache.ts";
import {
  effectiveScopes,
  type Principal,
  ROLE_SCOPES,
  roleRefusal,
  scopeRefusal,
} from "../services/auth/principal.ts";
import { isFamilyRevoked } from "../services/auth/revocation.ts";
import { checkSignature, SIGNATURE_TOLERANCE_SECONDS } from "../services/auth/signature.ts";
import { rateLimited } from "./rate-limit.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Who is calling; set by `authenticate` when credentials were presented and valid. */
    principal?: Principal;
    /**
     * Why the credentials presented were refused (401, 400, 403, 429). Thrown by
     * {@link requirePrincipal}, so only routes that need a caller fail on it.
     */
    authFailure?: ApiError;
  }
}

const unauthorized = (detail: string, error = "invalid_token", headers = {}) =>
  new ApiError("unauthorized", {
    detail,
    headers: { "WWW-Authenticate": `Bearer realm="edgepanel", error="${error}"`, ...headers },
  });

type Credential = { kind: "api_key" | "jwt"; value: string };

/**
 * The one credential a request carries, or null. Two (an X-API-Key and an
 * Authorization header) are a 400: RFC 6750 §2 allows one method per request, and
 * picking either would let a forged one ride along with a valid one.
 */
function readCredential(c: Context<AppEnv>): Credential | null {
  const header = c.req.header("authorization");
  const apiKey = c.req.header("x-api-key");
  if (header !== undefined && apiKey !== undefined) {
    throw new ApiError("bad_request", {
      detail:
        "Send one credential per request: X-API-Key or an Authorization header, not both (RFC 6750 §2)",
      headers: { "WWW-Authenticate": 'Bearer realm="edgepanel", error="invalid_request"' },
    });
  }
  if (apiKey !== undefined) return { kind: "api_key", value: apiKey };
  if (header === undefined) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m)
    throw unauthorized("The Authorization header must be 'Bearer <token>'", "invalid_request");
  return { kind: looksLikeApiKey(m[1]!) ? "api_key" : "jwt", value: m[1]! };
}

/**
 * Reads `Authorization: Bearer <jwt | ep_live_…>` or `X-API-Key`, and puts a typed
 * principal on the context. No credentials: the request continues anonymous.
 * Refused credentials: the request also continues anonymous, with the refusal kept
 * as `authFailure` for {@link requirePrincipal} — a route that needs a caller answers
 * it (401 with `WWW-Authenticate`, 400, 429…), a public one (register, login,
 * refresh, logout, OAuth) is not broken by a stale token the client still sends, and
 * the global limiter counts the request against the IP.
 */
export const authenticate = (): MiddlewareHandler<AppEnv> =>
  async function authenticate(c, next) {
    try {
      const credential = readCredential(c);
      if (credential) {
        const p =
          credential.kind === "api_key"
            ? await authenticateKey(c, credential.value)
            : await authenticateJwt(c, credential.value);
        c.set("principal", p);
        c.get("logFields").identity = p.kind === "api_key" ? `key:${p.keyId}` : `user:${p.userId}`;
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      c.set("authFailure", error);
      c.get("logFields").auth_failure = error.problem;
      increment("auth_failures_total", { reason: authFailureReason(error) });
    }
    await next();
  };

const AUTH_FAILURES = POLICIES.auth_failures;

const tooManyFailures = (d: Decision) =>
  rateLimited(
    AUTH_FAILURES,
    d,
    "Too many failed authentication attempts from your address; retry after the indicated time",
  );

/**
 * A credential that matched nothing (a guess, not an expired or revoked credential
 * we issued): counted against the client's address. Returns the 401 to throw, or
 * the 429 once the address has failed too often. Fails open if the limiter is down.
 */
async function failedGuess(c: Context<AppEnv>, detail: string): Promise<ApiError> {
  let d: Decision;
  try {
    d = await countFailure(c.env, AUTH_FAILURES, addressBucket(clientIp(c)));
  } catch {
    increment("ratelimit_fail_open_total", { policy: AUTH_FAILURES.name });
    return unauthorized(detail);
  }
  if (!d.allowed) return tooManyFailures(d);
  return unauthorized(detail, "invalid_token", rateLimitHeaders(AUTH_FAILURES, d));
}

/** Before a credential is looked up in KV/D1: refuse an address that failed too often. */
async function beforeLookup(c: Context<AppEnv>): Promise<void> {
  let d: Decision;
  try {
    d = await peekFailures(c.env, AUTH_FAILURES, addressBucket(clientIp(c)));
  } catch {
    increment("ratelimit_fail_open_total", { policy: AUTH_FAILURES.name });
    return;
  }
  if (!d.allowed) throw tooManyFailures(d);
}

async function authenticateJwt(c: Context<AppEnv>, token: string): Promise<Principal> {
  const verified = await verifyAccessToken(c.get("config").JWT_SECRET, token);
  if (!verified.ok) {
    if (verified.error === "expired") throw unauthorized("The access token has expired");
    throw await failedGuess(c, "The access token is invalid");
  }
  const claims = verified.value;
  const [user, ended] = await Promise.all([
    lookupUser(c.get("db"), claims.sub),
    // Both isolate-cached: no I/O on almost every request. (Tokens issued before `fam`
    // existed carry none; they expire within 15 minutes of the upgrade.)
    claims.fam ? isFamilyRevoked(c.env.CACHE, claims.fam) : false,
  ]);
  if (ended) throw unauthorized("The session of this access token has ended");
  if (!user || user.disabled)
    throw unauthorized("The access token's user no longer exists or is deactivated");
  return {
    kind: "user",
    userId: claims.sub,
    role: user.role,
    scopes: ROLE_SCOPES[user.role],
    tokenId: claims.jti,
  };
}

async function authenticateKey(c: Context<AppEnv>, key: string): Promise<Principal> {
  // Checksum first: typos and forged keys are refused without touching KV or D1.
  if (!isWellFormedApiKey(key)) throw await failedGuess(c, "The API key is malformed");
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  const record = await lookupKey(c.env, c.get("db"), await sha256Hex(key), waitUntil, () =>
    beforeLookup(c),
  );
  const now = new Date().toISOString();
  if (!record) throw await failedGuess(c, "The API key is invalid or revoked");
  if (record.revoked || record.ownerDisabled)
    throw unauthorized("The API key is invalid or revoked");
  if (record.expiresAt && record.expiresAt <= now) throw unauthorized("The API key has expired");
  if (record.allowedCidrs?.length && !ipInAny(clientIp(c), record.allowedCidrs)) {
    throw new ApiError("forbidden", {
      detail: "This API key may not be used from this IP address",
    });
  }
  const signature = c.req.header("x-signature");
  if (record.requireSignature || signature !== undefined) {
    if (!record.signingSecretEnc)
      throw unauthorized("This API key has no signing secret", "invalid_request");
    const ring = await keyringFor(c.get("config"));
    const secret = await decrypt(ring, record.signingSecretEnc, SIGNING_SECRET_CONTEXT);
    const url = new URL(c.req.url);
    const result = await checkSignature(
      secret,
      {
        signature,
        timestamp: c.req.header("x-signature-timestamp"),
        nonce: c.req.header("x-signature-nonce"),
      },
      {
        method: c.req.method,
        pathWithQuery: url.pathname + url.search,
        body: await c.req.arrayBuffer(),
      },
    );
    if (!result.ok) throw unauthorized(result.message, "invalid_signature");
    // One-time nonce, claimed atomically in the key's RateLimiter object (SQLite), kept
    // for twice the timestamp window: any replay inside the window is refused.
    const nonce = c.req.header("x-signature-nonce")!;
    let fresh: boolean;
    try {
      fresh = await withBudget(
        limiterStub(c.env, `nonce:${record.id}`).claimNonce(
          nonce,
          SIGNATURE_TOLERANCE_SECONDS * 2000,
        ),
        200,
      );
    } catch {
      // Without the nonce store a replay cannot be ruled out: refuse rather than guess.
      throw new ApiError("service_unavailable", {
        detail: "Signed requests are temporarily unavailable",
        headers: { "Retry-After": "1" },
      });
    }
    if (!fresh)
      throw unauthorized(
        "X-Signature-Nonce has already been used: send a new nonce with every request",
        "invalid_signature",
      );
  }
  noteKeyUse(c.get("db"), record, waitUntil);
  return {
    kind: "api_key",
    keyId: record.id,
    userId: record.ownerId,
    role: record.ownerRole,
    scopes: effectiveScopes(record.ownerRole, record.scopes),
    rateLimitPerMinute: record.rateLimitPerMinute,
    maxConcurrency: record.maxConcurrency,
    requireSignature: record.requireSignature,
    expiresAt: record.expiresAt,
    allowedCidrs: record.allowedCidrs,
  };
}

/** The authenticated principal; else why the credentials were refused, or a 401. */
export function requirePrincipal(c: Context<AppEnv>): Principal {
  const p = c.get("principal");
  if (p) return p;
  throw c.get("authFailure") ?? unauthorized("Authentication is required", "invalid_request");
}

/**
 * Guard: any authenticated principal holding `scope` (for users: granted by role). A
 * refusal says what would fix it: the role a user (or a key's owner) needs, or that
 * the key itself lacks the scope.
 */
export const requireScope = (scope: Scope): MiddlewareHandler<AppEnv> =>
  async function requireScopeGuard(c, next) {
    const refusal = scopeRefusal(requirePrincipal(c), scope);
    if (refusal) throw new ApiError("forbidden", { detail: refusal });
    await next();
  };

/**
 * Guard: an authenticated principal whose role is at least `role`. A key acts as its
 * owner narrowed by its scopes: admin routes also need the key's 'admin' scope.
 */
export const requireRole = (role: Role): MiddlewareHandler<AppEnv> =>
  async function requireRoleGuard(c, next) {
    const refusal = roleRefusal(requirePrincipal(c), role);
    if (refusal) throw new ApiError("forbidden", { detail: refusal });
    await next();
  };

/** Guard: any authenticated principal. */
export const requireAuth = (): MiddlewareHandler<AppEnv> =>
  async function requireAuthGuard(c, next) {
    requirePrincipal(c);
    await next();
  };

/**
 * The OpenAPI security requirement of a route that takes a token or an API key,
 * naming the scope its guard requires (OpenAPI 3.1 lets non-OAuth schemes list
 * required roles this way). Without a scope: any authenticated caller. For users
 * a scope comes with their role (`admin` only to admins), for keys it must also
 * be granted to the key. The security test matrix reads these to know what each
 * route must refuse.
 */
export const securityFor = (scope?: Scope): Record<string, string[]>[] => {
  const scopes = scope ? [scope] : [];
  return [{ bearerAuth: scopes }, { apiKeyAuth: scopes }];
};
