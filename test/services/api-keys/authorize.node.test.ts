import { describe, expect, it } from "vitest";
import { cidrWithin, parseCidr } from "../../../src/lib/cidr.ts";
import {
  authorizeCreate,
  authorizeList,
  authorizeRevoke,
  authorizeRotate,
  type Caller,
  type KeyReach,
  type TargetKey,
  widerThan,
} from "../../../src/services/api-keys/authorize.ts";
import type { ApiKeyPrincipal, UserPrincipal } from "../../../src/services/auth/principal.ts";

const OPEN: KeyReach = {
  scopes: ["servers:read"],
  expiresAt: null,
  allowedCidrs: null,
  requireSignature: false,
  rateLimitPerMinute: null,
  maxConcurrency: null,
};

const user = (role: UserPrincipal["role"], id = "u1"): UserPrincipal => ({
  kind: "user",
  userId: id,
  role,
  scopes:
    role === "admin"
      ? ["servers:read", "servers:write", "webhooks:write", "admin"]
      : role === "operator"
        ? ["servers:read", "servers:write", "webhooks:write"]
        : ["servers:read"],
  tokenId: "t",
});

const key = (over: Partial<ApiKeyPrincipal> = {}): ApiKeyPrincipal => ({
  kind: "api_key",
  keyId: "k1",
  userId: "u1",
  role: "operator",
  scopes: ["servers:read"],
  rateLimitPerMinute: null,
  maxConcurrency: null,
  requireSignature: false,
  expiresAt: null,
  allowedCidrs: null,
  ...over,
});

const caller = (principal: Caller["principal"], ip = "10.0.0.1", allow: string[] = []) => ({
  principal,
  ip,
  adminAllowlist: allow,
});

const target = (over: Partial<TargetKey> = {}): TargetKey => ({
  ...OPEN,
  id: "k2",
  ownerId: "u1",
  ...over,
});

describe("widerThan", () => {
  it("an unrestricted bound allows anything but extra scopes", () => {
    expect(widerThan({ ...OPEN, rateLimitPerMinute: 99_999 }, OPEN)).toEqual([]);
    expect(widerThan({ ...OPEN, scopes: ["admin"] }, OPEN).map((v) => v.path)).toEqual(["scopes"]);
  });

  it("names every field that is looser than the bound", () => {
    const bound: KeyReach = {
      scopes: ["servers:read"],
      expiresAt: "2030-01-01T00:00:00.000Z",
      allowedCidrs: ["10.0.0.0/8"],
      requireSignature: true,
      rateLimitPerMinute: 10,
      maxConcurrency: 2,
    };
    expect(widerThan(OPEN, bound).map((v) => v.path)).toEqual([
      "expires_at",
      "allowed_cidrs",
      "require_signature",
      "rate_limit_per_minute",
      "max_concurrency",
    ]);
    const same = { ...bound };
    expect(widerThan(same, bound)).toEqual([]);
    expect(
      widerThan({ ...bound, expiresAt: "2030-01-01T00:00:00.001Z" }, bound).map((v) => v.path),
    ).toEqual(["expires_at"]);
  });
});

describe("cidrWithin", () => {
  it.each([
    ["10.1.0.0/16", "10.0.0.0/8", true],
    ["10.0.0.0/8", "10.0.0.0/8", true],
    ["10.0.0.0/7", "10.0.0.0/8", false],
    ["11.0.0.0/16", "10.0.0.0/8", false],
    ["10.9.9.9", "10.0.0.0/8", true],
    ["2001:db8:1::/48", "2001:db8::/32", true],
    ["2001:db8::/32", "10.0.0.0/8", false],
    ["::ffff:10.1.0.0/112", "10.0.0.0/8", true],
  ])("%s within %s: %s", (inner, outer, expected) => {
    expect(cidrWithin(parseCidr(inner)!, parseCidr(outer)!)).toBe(expected);
  });
});

describe("rules", () => {
  it("create: a user is bounded by their role's scopes only; a key by everything it has", () => {
    expect(authorizeCreate(caller(user("viewer")), OPEN)).toEqual({ ok: true, crossOwner: false });
    expect(authorizeCreate(caller(key({ rateLimitPerMinute: 5 })), OPEN)).toMatchObject({
      ok: false,
      error: "exceeds_caller",
    });
  });

  it("list: another owner's keys need admin role and admin scope, inside the allowlist", () => {
    expect(authorizeList(caller(user("operator")), "u2")).toMatchObject({
      error: "admin_required",
    });
    expect(authorizeList(caller(key({ role: "admin" })), "u2")).toMatchObject({
      error: "admin_required",
    });
    expect(authorizeList(caller(user("admin")), "u2")).toEqual({ ok: true, crossOwner: true });
    expect(authorizeList(caller(user("admin"), "192.0.2.1", ["10.0.0.0/8"]), "u2")).toMatchObject({
      error: "admin_ip",
    });
    expect(authorizeList(caller(user("viewer"), "192.0.2.1", ["10.0.0.0/8"]), "u1")).toEqual({
      ok: true,
      crossOwner: false,
    });
  });

  it("rotate: never another owner's key; 404 without admin power, 403 with it", () => {
    const theirs = target({ ownerId: "u2" });
    expect(authorizeRotate(caller(key({ role: "admin" })), theirs)).toMatchObject({
      error: "not_found",
    });
    expect(authorizeRotate(caller(user("admin")), theirs)).toMatchObject({ error: "owner_only" });
    expect(authorizeRotate(caller(user("admin")), undefined)).toMatchObject({
      error: "not_found",
    });
  });

  it("revoke: a key may revoke itself, a no-wider sibling, not a wider one", () => {
    const k = key();
    expect(authorizeRevoke(caller(k), target({ id: "k1", scopes: ["admin"] })).ok).toBe(true);
    expect(authorizeRevoke(caller(k), target()).ok).toBe(true);
    expect(authorizeRevoke(caller(k), target({ scopes: ["servers:write"] }))).toMatchObject({
      error: "exceeds_caller",
    });
    expect(authorizeRevoke(caller(user("admin")), target({ ownerId: "u2" }))).toEqual({
      ok: true,
      crossOwner: true,
    });
  });
});
