import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal } from "../../middleware/auth.ts";
import { hasAdminPower } from "../../services/auth/principal.ts";
import { getEndpoint, type Scope } from "../../services/webhooks/endpoints.ts";

/** Admins manage every endpoint; operators their own. */
export function scopeOf(c: Context<AppEnv>): Scope {
  const p = requirePrincipal(c);
  return { ownerId: hasAdminPower(p) ? null : p.userId };
}

/** Loads an endpoint the caller may manage; someone else's is a 404, never a 403. */
export async function loadEndpoint(c: Context<AppEnv>, id: string) {
  const row = await getEndpoint(c.get("db"), id, scopeOf(c));
  if (!row) throw new ApiError("not_found", { detail: "No webhook endpoint with that id" });
  return row;
}

export const staleWrite = () =>
  new ApiError("precondition_failed", {
    detail: "The webhook endpoint was changed by another request; read it again and retry",
  });

export const endpointDisabled = () =>
  new ApiError("conflict", {
    detail: "The webhook endpoint is disabled; enable it (PATCH enabled: true) first",
  });
