import type { Scope } from "../../db/schema.ts";
import { type Cidr, cidrWithin, ipInAny, parseCidr } from "../../lib/cidr.ts";
import { POLICIES } from "../../rate-limit/policies.ts";
import { hasAdminPower, type Principal } from "../auth/principal.ts";

/**
 * Who may manage which API key: one set of pure rules for create, list, rotate and
 * revoke, so no route decides on the owner's role alone.
 *
 * 1. **Own keys.** Anyone manages their own keys, within their credential's reach.
 * 2. **Another user's keys** need admin power: the admin role AND the `admin` scope
 *    (an admin's `servers:read` key is just a key), from an address inside
 *    `ADMIN_IP_ALLOWLIST` when one is set. Admin power lists and revokes another
 *    user's keys; it never rotates them, because rotation hands out the new secret and
 *    a secret is only ever shown to the user it authenticates as.
 * 3. **No wider than the caller.** A key that creates or rotates a key, or revokes a
 *    sibling, must itself hold everything that key can do: its scopes, and an expiry,
 *    CIDR allowlist, signature requirement, rate limit and concurrency cap no looser
 *    than its own. A key may always revoke itself. A signed-in user's reach is their
 *    role's scopes with no other limits.
 */

/** The settings that decide what a key can do. */
export interface KeyReach {
  scopes: readonly Scope[];
  expiresAt: string | null;
  allowedCidrs: readonly string[] | null;
  requireSignature: boolean;
  rateLimitPerMinute: number | null;
  maxConcurrency: number | null;
}

/** The key being rotated or revoked (its owner and its reach). */
export interface TargetKey extends KeyReach {
  id: string;
  ownerId: string;
}

export interface Caller {
  principal: Principal;
  /** The client IP (`CF-Connecting-IP`). */
  ip: string;
  /** `ADMIN_IP_ALLOWLIST`; empty means no restriction. */
  adminAllowlist: readonly string[];
}

export interface Violation {
  /** The request field (or key setting) that is wider than the caller's own. */
  path: string;
  message: string;
}

export type KeyAccess =
  | { ok: true; crossOwner: boolean }
  | {
      ok: false;
      /**
       * not_found: absent, or not the caller's business (404, existence not revealed);
       * admin_ip: admin power used from outside ADMIN_IP_ALLOWLIST;
       * admin_required: another owner's keys without admin power (lists only);
       * owner_only: rotating another user's key;
       * exceeds_caller: the key would be wider than the calling credential.
       */
      error: "not_found" | "admin_ip" | "admin_required" | "owner_only" | "exceeds_caller";
      violations?: Violation[];
    };

const allowed = (crossOwner = false): KeyAccess => ({ ok: true, crossOwner });

/** Per-key default when `rate_limit_per_minute` is not set. */
const DEFAULT_KEY_LIMIT = POLICIES.api_key.limit;

/**
 * What the caller's credential can do at most. A key's own settings; for a signed-in
 * user, their role's scopes and nothing else (null = unbounded).
 */
function reachOf(p: Principal): KeyReach {
  if (p.kind === "user") {
    return {
      scopes: p.scopes,
      expiresAt: null,
      allowedCidrs: null,
      requireSignature: false,
      rateLimitPerMinute: null,
      maxConcurrency: null,
    };
  }
  return {
    scopes: p.scopes,
    expiresAt: p.expiresAt,
    allowedCidrs: p.allowedCidrs,
    requireSignature: p.requireSignature,
    // An unset limit means the default, which bounds what this key may hand out.
    rateLimitPerMinute: p.rateLimitPerMinute ?? DEFAULT_KEY_LIMIT,
    maxConcurrency: p.maxConcurrency,
  };
}

/** Every way `child` is wider than `bound`; empty when it is not. */
export function widerThan(child: KeyReach, bound: KeyReach): Violation[] {
  const out: Violation[] = [];
  const excess = child.scopes.filter((s) => !bound.scopes.includes(s));
  if (excess.length) out.push({ path: "scopes", message: `not held: ${excess.join(", ")}` });
  if (bound.expiresAt !== null && (child.expiresAt === null || child.expiresAt > bound.expiresAt))
    out.push({ path: "expires_at", message: `must be set, on or before ${bound.expiresAt}` });
  if (bound.allowedCidrs?.length) {
    const outer = bound.allowedCidrs.map(parseCidr).filter((c): c is Cidr => c !== null);
    const inner = child.allowedCidrs ?? [];
    const inside = (cidr: string) => {
      const parsed = parseCidr(cidr);
      return parsed !== null && outer.some((o) => cidrWithin(parsed, o));
    };
    if (inner.length === 0 || !inner.every(inside))
      out.push({
        path: "allowed_cidrs",
        message: `must be set, each inside ${bound.allowedCidrs.join(", ")}`,
      });
  }
  if (bound.requireSignature && !child.requireSignature)
    out.push({ path: "require_signature", message: "must be true" });
  if (
    bound.rateLimitPerMinute !== null &&
    (child.rateLimitPerMinute ?? DEFAULT_KEY_LIMIT) > bound.rateLimitPerMinute
  )
    out.push({
      path: "rate_limit_per_minute",
      message: `must be set, at most ${bound.rateLimitPerMinute}`,
    });
  if (
    bound.maxConcurrency !== null &&
    (child.maxConcurrency === null || child.maxConcurrency > bound.maxConcurrency)
  )
    out.push({ path: "max_concurrency", message: `must be set, at most ${bound.maxConcurrency}` });
  return out;
}

const withinReach = (caller: Caller, key: KeyReach): KeyAccess => {
  const violations = widerThan(key, reachOf(caller.principal));
  return violations.length ? { ok: false, error: "exceeds_caller", violations } : allowed();
};

/** Admin power, checked where it is used: role and scope, then the admin IP allowlist. */
function adminAccess(caller: Caller): KeyAccess | null {
  if (!hasAdminPower(caller.principal)) return null;
  if (caller.adminAllowlist.length && !ipInAny(caller.ip, caller.adminAllowlist))
    return { ok: false, error: "admin_ip" };
  return allowed(true);
}

/** Creating a key for oneself: never wider than the calling credential. */
export function authorizeCreate(caller: Caller, requested: KeyReach): KeyAccess {
  return withinReach(caller, requested);
}

/** Listing keys: one's own, or (admin power) another user's. */
export function authorizeList(caller: Caller, ownerId: string | undefined): KeyAccess {
  if (ownerId === undefined || ownerId === caller.principal.userId) return allowed();
  return adminAccess(caller) ?? { ok: false, error: "admin_required" };
}

/** Rotating: only the owner, with a credential at least as wide as the key. */
export function authorizeRotate(caller: Caller, key: TargetKey | undefined): KeyAccess {
  if (!key) return { ok: false, error: "not_found" };
  if (key.ownerId !== caller.principal.userId) {
    const admin = adminAccess(caller);
    if (!admin) return { ok: false, error: "not_found" };
    return admin.ok ? { ok: false, error: "owner_only" } : admin;
  }
  return withinReach(caller, key);
}

/** Revoking: the owner (a key: itself, or a sibling no wider), or admin power. */
export function authorizeRevoke(caller: Caller, key: TargetKey | undefined): KeyAccess {
  if (!key) return { ok: false, error: "not_found" };
  const p = caller.principal;
  if (key.ownerId !== p.userId) return adminAccess(caller) ?? { ok: false, error: "not_found" };
  if (p.kind === "user" || p.keyId === key.id) return allowed();
  return withinReach(caller, key);
}
