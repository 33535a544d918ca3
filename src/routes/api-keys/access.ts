import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { clientIp } from "../../lib/client-ip.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal } from "../../middleware/auth.ts";
import type { Caller, KeyAccess } from "../../services/api-keys/authorize.ts";

/** The caller as the key-management rules see it (services/api-keys/authorize.ts). */
export const callerOf = (c: Context<AppEnv>): Caller => ({
  principal: requirePrincipal(c),
  ip: clientIp(c),
  adminAllowlist: c.get("config").ADMIN_IP_ALLOWLIST,
});

/** Turns a refusal into its problem; returns whether admin power was used. */
export function enforce(access: KeyAccess): { crossOwner: boolean } {
  if (access.ok) return { crossOwner: access.crossOwner };
  switch (access.error) {
    case "not_found":
      throw new ApiError("not_found", { detail: "No API key with that id" });
    case "admin_ip":
      throw new ApiError("forbidden", {
        detail: "Managing other users' API keys is not allowed from your IP address",
      });
    case "admin_required":
      throw new ApiError("forbidden", {
        detail: "Managing other users' API keys needs the 'admin' role and the 'admin' scope",
      });
    case "owner_only":
      throw new ApiError("forbidden", {
        detail:
          "Only the key's owner can rotate it: a new secret is shown to no one else. Revoke it instead, or ask its owner to rotate it",
      });
    case "exceeds_caller":
      throw new ApiError("forbidden", {
        detail: "Your credential cannot grant or manage more access than it has itself",
        errors: access.violations ?? [],
      });
  }
}

/** {@link enforce} for a decision about `key`, which is returned, now known to exist. */
export function permitted<K>(access: KeyAccess, key: K | undefined): K {
  enforce(access);
  if (key === undefined) throw new ApiError("not_found", { detail: "No API key with that id" });
  return key;
}
