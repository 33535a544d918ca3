import type { SQL } from "drizzle-orm";
import type { Context } from "hono";
import type { UserRow } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { type RequestWrite, requestWrite } from "../../lib/mutate.ts";
import { newSession, recordSession } from "../../services/auth/session.ts";
import { toUserDto } from "./schemas.ts";

export interface SignInEvent {
  action: string;
  summary?: Record<string, unknown>;
}

/**
 * Starts a session for `user` and renders the token body (login, OAuth,
 * register). The refresh token and the audit entries (the user acting on their
 * own account) commit in one batch, together with whatever `unit` already holds
 * — for registration, the new user row, with `when` = "that row exists".
 */
export async function signIn(
  c: Context<AppEnv>,
  user: UserRow,
  events: SignInEvent[],
  unit: RequestWrite = requestWrite(c),
  when?: SQL,
) {
  const session = await newSession(c.get("config").JWT_SECRET, user);
  recordSession(unit, session, when);
  for (const event of events) {
    unit.audit(
      {
        actorType: "user",
        actorId: user.id,
        action: event.action,
        resourceType: "user",
        resourceId: user.id,
        summary: event.summary ?? null,
      },
      when,
    );
  }
  const read = await unit.commit();
  c.header("Cache-Control", "no-store");
  return { read, body: { user: toUserDto(user), ...session.body } };
}
