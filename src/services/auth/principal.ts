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

/**
 * Power over other users' resources: the admin role AND the `admin` scope. An admin's
 * key without the `admin` scope acts only as its owner, like anyone else's.
 */
export const hasAdminPower = (p: Principal): boolean =>
  p.role === "admin" && p.scopes.includes("admin");

const ROLES_BY_RANK = (Object.keys(ROLE_RANK) as Role[]).sort(
  (a, b) => ROLE_RANK[a] - ROLE_RANK[b],
);

/** "needs the 'operator' role or higher; your role is 'viewer'" — whose role it is, by principal. */
const roleShortfall = (p: Principal, role: Role): string => {
  const needs = ROLE_RANK[role] === ROLE_RANK.admin ? `'${role}' role` : `'${role}' role or higher`;
  const has =
    p.kind === "user" ? `your role is '${p.role}'` : `the API key's owner has the '${p.role}' role`;
  return `This action needs the ${needs}; ${has}`;
};

const keyLacks = (scope: Scope) =>
  `This API key lacks the '${scope}' scope; use a key created with it`;

/**
 * Why `p` may not use `scope`, worded as the fix, or null when it may. A user (or a
 * key's owner) whose role does not grant the scope needs a role — the lowest that
 * grants it is named; a key whose owner's role grants it but that was not created
 * with it needs another key.
 */
export function scopeRefusal(p: Principal, scope: Scope): string | null {
  if (p.scopes.includes(scope)) return null;
  if (!ROLE_SCOPES[p.role].includes(scope)) {
    const role = ROLES_BY_RANK.find((r) => ROLE_SCOPES[r].includes(scope)) ?? "admin";
    return roleShortfall(p, role);
  }
  return keyLacks(scope);
}

/**
 * Why `p` may not act with `role`, worded as the fix, or null when it may. The admin
 * role acts as such only with the `admin` scope (a key narrows its owner).
 */
export function roleRefusal(p: Principal, role: Role): string | null {
  if (ROLE_RANK[p.role] < ROLE_RANK[role]) return roleShortfall(p, role);
  if (role === "admin" && !p.scopes.includes("admin")) return keyLacks("admin");
  return null;
}
