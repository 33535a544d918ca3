import { normaliseEmail } from "../db/queries/users.ts";
import { addressBucket } from "../lib/cidr.ts";
import { sha256Hex } from "../lib/encoding.ts";
import { type LimiterEnv, limiterStub, withBudget } from "./limiter.ts";
import { LOCKOUT } from "./policies.ts";

/**
 * Login brute-force protection in the RateLimiter Durable Object, three counters:
 *
 * - **account + IP** (`bf:<account>:ip:<ip>`): 5 failures lock *that address* out of
 *   the account, with growing lockouts. Keyed by both, so an attacker cannot lock a
 *   user out from the user's own address.
 * - **IP** (`bf:ip:<ip>`): 20 failures on any accounts lock the address out.
 * - **account-wide** (`bf:<account>`): failures from everywhere in a sliding window;
 *   when it is full, addresses that have not signed in to the account recently wait,
 *   addresses that have are never refused by it. Bounds guessing spread over many IPs.
 *
 * The account is a hash of the normalised e-mail, registered or not, so lockouts look
 * the same whether the account exists. IPv6 addresses count per /64.
 */
export const accountKey = async (email: string) =>
  `acct:${(await sha256Hex(normaliseEmail(email))).slice(0, 32)}`;

const WIDE_WINDOW_MS = LOCKOUT.accountWide.windowSeconds * 1000;
const KNOWN_IP_TTL_MS = LOCKOUT.knownIpDays * 24 * 60 * 60 * 1000;

function stubs(env: LimiterEnv, account: string, ip: string) {
  const bucket = addressBucket(ip);
  return {
    pair: limiterStub(env, `bf:${account}:ip:${bucket}`),
    ip: limiterStub(env, `bf:ip:${bucket}`),
    account: limiterStub(env, `bf:${account}`),
  };
}

/** The account's object keeps tags of addresses that signed in, not the addresses. */
const ipTag = async (account: string, ip: string) =>
  (await sha256Hex(`${account}|${addressBucket(ip)}`)).slice(0, 32);

/** Milliseconds until this IP may try this account again (0 = now). */
export async function lockedForMs(env: LimiterEnv, account: string, ip: string): Promise<number> {
  const s = stubs(env, account, ip);
  const tag = await ipTag(account, ip);
  const locks = await withBudget(
    Promise.all([
      s.pair.lockedForMs(),
      s.ip.lockedForMs(),
      s.account.accountLockFor(tag, LOCKOUT.accountWide.limit, WIDE_WINDOW_MS),
    ]),
  );
  return Math.max(...locks);
}

/**
 * Counts a failure on all three: `lockedForMs` > 0 where this failure locked,
 * `accountWideFilled` when it filled the account-wide window (reported once).
 */
export async function recordFailure(env: LimiterEnv, account: string, ip: string) {
  const s = stubs(env, account, ip);
  const [pair, byIp, filled] = await withBudget(
    Promise.all([
      s.pair.recordFailure(LOCKOUT.account),
      s.ip.recordFailure(LOCKOUT.ip),
      s.account.noteAccountFailure(LOCKOUT.accountWide.limit, WIDE_WINDOW_MS),
    ]),
  );
  return { account: pair, ip: byIp, accountWideFilled: filled };
}

/**
 * A successful login clears this address's failures on the account and marks the
 * address as known to it. Neither the IP's counter (it may be attacking others) nor
 * the account-wide window (an ongoing spread attack) is cleared.
 */
export async function recordSuccess(env: LimiterEnv, account: string, ip: string): Promise<void> {
  const s = stubs(env, account, ip);
  const tag = await ipTag(account, ip);
  await withBudget(
    Promise.all([s.pair.recordSuccess(), s.account.noteKnownIp(tag, KNOWN_IP_TTL_MS)]),
  );
}
