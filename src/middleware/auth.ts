import type { MiddlewareHandler } from "hono";
import type { Role, Scope } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { ipInAny } from "../lib/cidr.ts";
import { clientIp } from "../lib/client-ip.ts";
import { decrypt, keyringFor } from "../lib/crypto.ts";
import { sha256Hex } from "../lib/encoding.ts";
import { ApiError } from "../lib/problem.ts";
import { limiterStub, withBudget } from "../rate-limit/limiter.ts";
import { SIGNING_SECRET_CONTEXT } from "../services/api-keys/api-keys.ts";
import { isWellFormedApiKey, looksLikeApiKey } from "../services/api-keys/format.ts";
import { verifyAccessToken } from "../services/auth/access-token.ts";
import { lookupKey, lookupUser, noteKeyUse } from "../services/auth/credential-cache.ts";
import {
  effectiveScopes,
  type Principal,
  ROLE_RANK,
  ROLE_SCOPES,
} from "../services/auth/principal.ts";
import { checkSignature, SIGNATURE_TOLERANCE_SECONDS } from "../services/auth/signature.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Who is calling; set by `authenticate` when credentials were presented and valid. */
    principal?: Principal;
  }
}

const unauthorized = (detail: string, error = "invalid_token") =>
  new ApiError("unauthorized", {
    detail,
    headers: { "WWW-Authenticate": `Bearer realm="edgepanel", error="${error}"` },
  });

/**
 * Reads `Authorization: Bearer <jwt | ep_live_…>` or `X-API-Key`, and puts a typed
 * principal on the context. No credentials: the request continues anonymous (the
 * route's guard decides). Bad credentials: 401 at once, whatever the route.
 */
export const authenticate = (): MiddlewareHandler<AppEnv> =>
  async function authenticate(c, next) {
    const header = c.req.header("authorization");
    let apiKey = c.req.header("x-api-key");
    let jwt: string | undefined;
    if (header !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!m)
        throw unauthorized("The Authorization header must be 'Bearer <token>'", "invalid_request");
      if (looksLikeApiKey(m[1]!)) apiKey ??= m[1]!;
      else jwt = m[1]!;
    }
    if (apiKey !== undefined) {
      c.set("principal", await authenticateKey(c, apiKey));
    } else if (jwt !== undefined) {
      const claims = await verifyAccessToken(c.get("config").JWT_SECRET, jwt);
      if (!claims) throw unauthorized("The access token is invalid or expired");
      const user = await lookupUser(c.get("db"), claims.sub);
      if (!user || user.disabled)
        throw unauthorized("The access token's user no longer exists or is deactivated");
      c.set("principal", {
        kind: "user",
        userId: claims.sub,
        role: user.role,
        scopes: ROLE_SCOPES[user.role],
        tokenId: claims.jti,
      });
    }
    const p = c.get("principal");
    if (p)
      c.get("logFields").identity = p.kind === "api_key" ? `key:${p.keyId}` : `user:${p.userId}`;
    await next();
  };

async function authenticateKey(
  c: Parameters<MiddlewareHandler<AppEnv>>[0],
  key: string,
): Promise<Principal> {
  // Checksum first: typos and forged keys are refused without touching KV or D1.
  if (!isWellFormedApiKey(key)) throw unauthorized("The API key is malformed");
  const waitUntil = (p: Promise<unknown>) => c.executionCtx.waitUntil(p);
  const record = await lookupKey(c.env, c.get("db"), await sha256Hex(key), waitUntil);
  const now = new Date().toISOString();
  if (!record || record.revoked || record.ownerDisabled)
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
    if (result !== "ok")
      throw unauthorized(`The request signature is ${result}`, "invalid_signature");
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
    if (!fresh) throw unauthorized("The request signature was replayed", "invalid_signature");
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

/** The authenticated principal, or a 401 problem. */
export function requirePrincipal(c: { get(key: "principal"): Principal | undefined }): Principal {
  const p = c.get("principal");
  if (!p) throw unauthorized("Authentication is required", "invalid_request");
  return p;
}

/** Guard: any authenticated principal holding `scope` (for users: granted by role). */
export const requireScope = (scope: Scope): MiddlewareHandler<AppEnv> =>
  async function requireScopeGuard(c, next) {
    const p = requirePrincipal(c);
    if (!p.scopes.includes(scope)) {
      throw new ApiError("forbidden", { detail: `This action needs the '${scope}' scope` });
    }
    await next();
  };

/** Guard: an authenticated principal whose role is at least `role`. */
export const requireRole = (role: Role): MiddlewareHandler<AppEnv> =>
  async function requireRoleGuard(c, next) {
    const p = requirePrincipal(c);
    if (ROLE_RANK[p.role] < ROLE_RANK[role]) {
      throw new ApiError("forbidden", { detail: `This action needs the '${role}' role` });
    }
    // A key acts as its owner narrowed by its scopes: admin routes also need the 'admin' scope.
    if (role === "admin" && !p.scopes.includes("admin")) {
      throw new ApiError("forbidden", { detail: "This action needs the 'admin' scope" });
    }
    await next();
  };

/** Guard: any authenticated principal. */
export const requireAuth = (): MiddlewareHandler<AppEnv> =>
  async function requireAuthGuard(c, next) {
    requirePrincipal(c);
    await next();
  };

/** OpenAPI security requirement for routes that take a token or an API key. */
export const SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];
