import { type LimiterEnv, limiterStub, withBudget } from "./limiter.ts";
import type { Policy } from "./policies.ts";
import type { Decision } from "./sliding-log.ts";

/**
 * Limits on *failures* rather than requests (failed authentications, registrations
 * of an address that already has an account): successes cost nothing, each failure is
 * one unit in the identity's RateLimiter object, and once the window is full the
 * caller is refused *before* the work a failure would cost (a KV/D1 lookup).
 *
 *   const gate = await peekFailures(env, policy, who);   // before the lookup
 *   if (!gate.allowed) → 429
 *   …lookup fails… → await countFailure(env, policy, who)
 *
 * Both throw LimiterUnavailable when the object cannot answer; callers choose to fail
 * open or closed.
 */

// Refusals this isolate has seen, by limiter name, each with its own end: a blocked
// identity is refused here without a Durable Object call until then. Bounded, and an
// entry is only ever a shortcut to the object's own answer, so it is safe to keep.
const blocks = new Map<string, number>();
const MAX_BLOCKS = 10_000;

const nameOf = (policy: Policy, identity: string) => `${policy.name}:${identity}`;

function remember(name: string, d: Decision, now: number): Decision {
  if (!d.allowed) {
    blocks.delete(name);
    blocks.set(name, now + d.retryAfterMs);
    if (blocks.size > MAX_BLOCKS) blocks.delete(blocks.keys().next().value!);
  }
  return d;
}

/** The refusal this isolate remembers for `name`, if it still holds. */
function blocked(name: string, now: number): Decision | undefined {
  const until = blocks.get(name);
  if (until === undefined) return undefined;
  if (until > now)
    return { allowed: false, remaining: 0, retryAfterMs: until - now, resetMs: until - now };
  blocks.delete(name);
  return undefined;
}

/** Whether one more failure would still be counted (allowed), without counting one. */
export async function peekFailures(
  env: LimiterEnv,
  policy: Policy,
  identity: string,
  now = Date.now(),
): Promise<Decision> {
  const name = nameOf(policy, identity);
  const known = blocked(name, now);
  if (known) return known;
  const d = await withBudget(
    limiterStub(env, name).peek(policy.limit, policy.windowSeconds * 1000),
  );
  return remember(name, d, now);
}

/**
 * Counts one failure; `allowed: false` means the window was already full. A refusal
 * this isolate already knows of is answered without a Durable Object call: the object
 * does not count refused attempts either, so the answer is the same, and an address
 * guessing keys costs one Map lookup per request instead of an RPC.
 */
export async function countFailure(
  env: LimiterEnv,
  policy: Policy,
  identity: string,
  now = Date.now(),
): Promise<Decision> {
  const name = nameOf(policy, identity);
  const known = blocked(name, now);
  if (known) return known;
  const d = await withBudget(
    limiterStub(env, name).check(policy.limit, policy.windowSeconds * 1000, 1),
  );
  return remember(name, d, now);
}

/** Test hook: forget every refusal this isolate has seen. */
export function clearFailureBlocks(): void {
  blocks.clear();
}
