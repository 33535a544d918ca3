import { normaliseEmail } from "../db/queries/users.ts";
import { sha256Hex } from "../lib/encoding.ts";
import { type LimiterEnv, limiterStub, withBudget } from "./limiter.ts";
import { LOCKOUT } from "./policies.ts";

/**
 * Login brute-force protection: failures counted per account and per IP in the
 * RateLimiter Durable Object. The account is identified by a hash of the
 * normalised e-mail, registered or not, so lockouts look the same whether the
 * account exists.
 */
export const accountKey = async (email: string) =>
  `acct:${(await sha256Hex(normaliseEmail(email))).slice(0, 32)}`;

const stubs = (env: LimiterEnv, account: string, ip: string) => ({
  account: limiterStub(env, `bf:${account}`),
  ip: limiterStub(env, `bf:ip:${ip}`),
});

/** Milliseconds until both the account and the IP may try again (0 = now). */
export async function lockedForMs(env: LimiterEnv, account: string, ip: string): Promise<number> {
  const s = stubs(env, account, ip);
  const [a, b] = await withBudget(Promise.all([s.account.lockedForMs(), s.ip.lockedForMs()]));
  return Math.max(a, b);
}

export async function recordFailure(env: LimiterEnv, account: string, ip: string) {
  const s = stubs(env, account, ip);
  const [a, b] = await withBudget(
    Promise.all([s.account.recordFailure(LOCKOUT.account), s.ip.recordFailure(LOCKOUT.ip)]),
  );
  return { account: a, ip: b };
}

/** A successful login clears the account's failures (not the IP's: it may be attacking others). */
export async function recordSuccess(env: LimiterEnv, account: string, ip: string): Promise<void> {
  await withBudget(stubs(env, account, ip).account.recordSuccess());
}
