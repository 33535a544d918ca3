import type { Database } from "../../db/client.ts";
import { findUserByEmail, updateUser } from "../../db/queries/users.ts";
import type { UserRow } from "../../db/schema.ts";
import type { RouteAudit } from "../../lib/audit.ts";
import {
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  verifyPassword,
} from "../../lib/password.ts";
import { err, ok, type Result } from "../../lib/result.ts";
import {
  accountKey,
  lockedForMs,
  recordFailure,
  recordSuccess,
} from "../../rate-limit/brute-force.ts";
import { type LimiterEnv, LimiterUnavailable } from "../../rate-limit/limiter.ts";

/** What a password login needs from the request it serves. */
export interface LoginDeps {
  env: LimiterEnv;
  db: Database;
  /** The caller's address: lockouts count per account and address, and per address. */
  ip: string;
  /** Commits audit entries in one batch (the request's write unit: actor, IP, request id). */
  audit(entries: RouteAudit[]): Promise<void>;
  /** Keeps work alive after the response (the password rehash). */
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * - `locked`: this address may not try this account yet; `detail` says for how long.
 * - `invalid_credentials`: unknown account, wrong password, no password, or disabled
 *   (one answer for all, so the response does not reveal which).
 * - `unavailable`: the brute-force counters could not answer; login fails closed.
 */
export type LoginError = "locked" | "invalid_credentials" | "unavailable";
export type LoginResult = Result<UserRow, LoginError, { retryAfterSeconds: number }>;

/**
 * Checks an e-mail and password under brute-force protection (rate-limit/brute-force.ts):
 * refuses a locked-out address, counts a failure (auditing it and any lockout it
 * caused) or a success, and upgrades an outdated password hash in the background.
 */
export async function passwordLogin(
  deps: LoginDeps,
  credentials: { email: string; password: string },
): Promise<LoginResult> {
  try {
    return await checkPassword(deps, credentials);
  } catch (error) {
    // Without the counters login would be unprotected: refuse rather than guess.
    if (error instanceof LimiterUnavailable) return err("unavailable", { retryAfterSeconds: 1 });
    throw error;
  }
}

async function checkPassword(
  deps: LoginDeps,
  { email, password }: { email: string; password: string },
): Promise<LoginResult> {
  const { env, db, ip } = deps;
  const account = await accountKey(email);
  const locked = await lockedForMs(env, account, ip);
  if (locked > 0) return err("locked", { retryAfterSeconds: Math.ceil(locked / 1000) });
  const user = await findUserByEmail(db, email);
  // Always run one PBKDF2: the response time must not reveal whether the account exists.
  const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user?.passwordHash || !valid || user.disabledAt) {
    await deps.audit(failureEntries(await recordFailure(env, account, ip), user, ip));
    return err("invalid_credentials");
  }
  if (needsRehash(user.passwordHash)) {
    deps.waitUntil(
      hashPassword(password).then((passwordHash) => updateUser(db, user.id, { passwordHash })),
    );
  }
  await recordSuccess(env, account, ip);
  return ok(user);
}

type FailureCounts = Awaited<ReturnType<typeof recordFailure>>;

/** The failure and every lockout it caused, as audit entries of an anonymous actor. */
function failureEntries(counts: FailureCounts, user: UserRow | undefined, ip: string) {
  const anonymous = { actorType: "anonymous" as const, actorId: null };
  const userId = user?.id ?? null;
  const entries: RouteAudit[] = [];
  const lockouts = [
    { r: counts.account, resourceType: "user", resourceId: userId, scope: "account_ip" },
    { r: counts.ip, resourceType: "ip", resourceId: ip, scope: "ip" },
  ];
  for (const { r, resourceType, resourceId, scope } of lockouts) {
    if (r.lockedForMs > 0) {
      entries.push({
        ...anonymous,
        action: "auth.lockout",
        resourceType,
        resourceId,
        summary: {
          scope,
          ip,
          failures: r.failures,
          locked_for_seconds: Math.ceil(r.lockedForMs / 1000),
        },
      });
    }
  }
  if (counts.accountWideFilled) {
    entries.push({
      ...anonymous,
      action: "auth.lockout",
      resourceType: "user",
      resourceId: userId,
      summary: { scope: "account_unknown_ips" },
    });
  }
  entries.push({
    ...anonymous,
    action: "auth.login_failed",
    resourceType: "user",
    resourceId: userId,
    summary: {
      reason: !user ? "unknown_account" : user.disabledAt ? "disabled" : "bad_password",
    },
  });
  return entries;
}
