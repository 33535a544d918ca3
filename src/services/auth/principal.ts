import type { Role, Scope } from "../../db/schema.ts";

/** What each role may do; an API key's scopes are narrowed to its owner's. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: ["servers:read", "servers:write", "webhooks:write", "admin"],
  operator: ["servers:read", "servers:write", "webhooks:write"],
  viewer: ["servers:read"],
};

export const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

interface PrincipalBase {
  /** The user acting (the key's owner for API keys). */
  userId: string;
  role: Role;
  scopes: readonly Scope[];
}

export interface UserPrincipal extends PrincipalBase {
  kind: "user";
  /** jti of the access token. */
  tokenId: string;
}

export interface ApiKeyPrincipal extends PrincipalBase {
  kind: "api_key";
  keyId: string;
  rateLimitPerMinute: number | null;
  maxConcurrency: number | null;
  requireSignature: boolean;
  /** The key's own limits, which bound any key it creates or rotates. */
  expiresAt: string | null;
  allowedCidrs: readonly string[] | null;
}

export type Principal = UserPrincipal | ApiKeyPrincipal;

export const effectiveScopes = (role: Role, requested: readonly Scope[]): Scope[] =>
  requested.filter((s) => ROLE_SCOPES[role].includes(s));

export const hasScope = (p: Principal, scope: Scope): boolean => p.scopes.includes(scope);

/**
 * Power over other users' resources: the admin role AND the `admin` scope. An admin's
 * key without the `admin` scope acts only as its owner, like anyone else's.
 */
export const hasAdminPower = (p: Principal): boolean =>
  p.role === "admin" && p.scopes.includes("admin");
