import type { Context } from "hono";
import type { AppEnv } from "../../env.ts";
import { ApiError } from "../../lib/problem.ts";
import { requirePrincipal } from "../../middleware/auth.ts";
import { hasAdminPower } from "../../services/auth/principal.ts";
import { getServer, type Scope } from "../../services/servers/servers.ts";

/** Admins see every server; everyone else their own. */
export function scopeOf(c: Context<AppEnv>): Scope {
  const p = requirePrincipal(c);
  return { ownerId: hasAdminPower(p) ? null : p.userId };
}

/** Loads a server the caller may see; someone else's is a 404, never a 403. */
export async function loadServer(c: Context<AppEnv>, id: string) {
  const row = await getServer(c.get("db"), id, scopeOf(c));
  if (!row) throw new ApiError("not_found", { detail: "No server with that id" });
  return row;
}
