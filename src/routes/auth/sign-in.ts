import type { Context } from "hono";
import type { UserRow } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { audit } from "../../lib/audit.ts";
import { startSession } from "../../services/auth/session.ts";
import { toUserDto } from "./schemas.ts";

/** Audits an identity event where the user acts on their own account. */
export const auditSelf = (
  c: Context<AppEnv>,
  user: UserRow,
  action: string,
  summary?: Record<string, unknown>,
) =>
  audit(c, {
    actorType: "user",
    actorId: user.id,
    action,
    resourceType: "user",
    resourceId: user.id,
    summary: summary ?? null,
  });

/** Starts a session for `user` and renders the SPEC §9 token body (login, OAuth, register). */
export async function sessionBody(c: Context<AppEnv>, user: UserRow) {
  const session = await startSession(c.get("db"), c.get("config").JWT_SECRET, user);
  c.header("Cache-Control", "no-store");
  return { user: toUserDto(user), ...session };
}
