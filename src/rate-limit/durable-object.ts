import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env.ts";
import { lockoutMs } from "./policies.ts";
import { type Decision, SlidingLog } from "./sliding-log.ts";

/**
 * One object per identity and purpose (`<policy>:<identity>`, `bf:acct:<hash>`,
 * `bf:acct:<hash>:ip:<ip>`, `bf:ip:<ip>`, `sem:key:<id>`, `nonce:<key id>`), so no object is hot: load on one identity never
 * slows another, and each object's state is tiny. Methods are RPC, not fetch.
 *
 * Window logs live in memory for speed and are snapshotted to the object's SQLite
 * storage at most once a second (unconfirmed writes, so no output gate delays a
 * response). If the object is evicted or crashes, at most the last second of
 * admissions is forgotten; windows here are ≤ 60 s and eviction needs ~1 min idle,
 * by which time most of a window has expired anyway. Lockouts, nonces and the
 * addresses known to an account, which are rare and security-relevant, are written
 * synchronously.
 */
export class RateLimiter extends DurableObject<Bindings> {
  #log = new SlidingLog();
  #persistTimer: ReturnType<typeof setTimeout> | undefined;
  #leases = new Map<string, number>();
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => {
      this.#sql.exec(`create table if not exists kv (k text primary key, v text not null)`);
      this.#sql.exec(
        `create table if not exists nonces (n text primary key, expires integer not null)`,
      );
      this.#sql.exec(
        `create table if not exists known_ips (tag text primary key, expires integer not null)`,
      );
      const row = this.#sql.exec<{ v: string }>(`select v from kv where k = 'log'`).toArray()[0];
      if (row) this.#log = SlidingLog.restore(JSON.parse(row.v));
    });
  }

  /** Sliding-window check; admits and records the request when it fits. */
  check(limit: number, windowMs: number, cost = 1, now = Date.now()): Decision {
    const decision = this.#log.check(limit, windowMs, cost, now);
    if (decision.allowed) this.#schedulePersist();
    return decision;
  }

  /** Whether a request of `cost` would be admitted now, without admitting it. */
  peek(limit: number, windowMs: number, cost = 1, now = Date.now()): Decision {
    return this.#log.peek(limit, windowMs, cost, now);
  }

  /** Grants up to `want` units at once for an isolate's local allowance (see allowance.ts). */
  lease(
    limit: number,
    windowMs: number,
    want: number,
    min = 1,
    now = Date.now(),
  ): { granted: number; decision: Decision } {
    const result = this.#log.take(limit, windowMs, want, min, now);
    if (result.granted) this.#schedulePersist();
    return result;
  }

  #schedulePersist() {
    if (this.#persistTimer) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = undefined;
      this.#sql.exec(
        `insert or replace into kv (k, v) values ('log', ?)`,
        JSON.stringify(this.#log.snapshot()),
      );
    }, 1_000);
  }

  /** Brute-force state: how long this identity is locked out for (0 = not locked). */
  lockedForMs(now = Date.now()): number {
    const until = Number(this.#get("locked_until") ?? 0);
    return Math.max(0, until - now);
  }

  /** Records a failed attempt; returns the new failure count and lockout length. */
  recordFailure(threshold: number, now = Date.now()): { failures: number; lockedForMs: number } {
    const failures = Number(this.#get("failures") ?? 0) + 1;
    const lock = lockoutMs(failures, threshold);
    this.#set("failures", String(failures));
    if (lock) this.#set("locked_until", String(now + lock));
    return { failures, lockedForMs: lock };
  }

  /** A success clears the failure count and any lockout. */
  recordSuccess(): void {
    this.#sql.exec(`delete from kv where k in ('failures', 'locked_until')`);
  }

  /**
   * Account-wide sign-in throttle (in the account's object): ms `ipTag` must wait,
   * 0 when the tag signed in here recently or the account's failure window has room.
   */
  accountLockFor(ipTag: string, limit: number, windowMs: number, now = Date.now()): number {
    if (this.#knows(ipTag, now)) return 0;
    const d = this.#log.peek(limit, windowMs, 1, now);
    return d.allowed ? 0 : d.retryAfterMs;
  }

  /** Counts an account-wide sign-in failure; true when this one filled the window. */
  noteAccountFailure(limit: number, windowMs: number, now = Date.now()): boolean {
    const d = this.#log.check(limit, windowMs, 1, now);
    if (d.allowed) this.#schedulePersist();
    return d.allowed && d.remaining === 0;
  }

  /** Remembers an address tag that signed in to this account, for `ttlMs`. */
  noteKnownIp(ipTag: string, ttlMs: number, now = Date.now()): void {
    this.#sql.exec(`delete from known_ips where expires <= ?`, now);
    this.#sql.exec(
      `insert or replace into known_ips (tag, expires) values (?, ?)`,
      ipTag,
      now + ttlMs,
    );
  }

  #knows(ipTag: string, now: number): boolean {
    return (
      this.#sql.exec(`select 1 from known_ips where tag = ? and expires > ?`, ipTag, now).toArray()
        .length === 1
    );
  }

  /**
   * Semaphore for requests in flight. A lease expires after `leaseMs`, so a request
   * that crashed before releasing cannot hold its slot for ever.
   */
  acquire(
    max: number,
    leaseMs: number,
    now = Date.now(),
  ): { token: string | null; retryAfterMs: number } {
    for (const [token, expires] of this.#leases) if (expires <= now) this.#leases.delete(token);
    if (this.#leases.size >= max) {
      const soonest = Math.min(...this.#leases.values());
      return { token: null, retryAfterMs: Math.max(1, soonest - now) };
    }
    const token = crypto.randomUUID();
    this.#leases.set(token, now + leaseMs);
    return { token, retryAfterMs: 0 };
  }

  release(token: string): void {
    this.#leases.delete(token);
  }

  /** Accepts a nonce once within `ttlMs`; false if it was seen before. */
  claimNonce(nonce: string, ttlMs: number, now = Date.now()): boolean {
    this.#sql.exec(`delete from nonces where expires <= ?`, now);
    const inserted = this.#sql
      .exec(
        `insert or ignore into nonces (n, expires) values (?, ?) returning n`,
        nonce,
        now + ttlMs,
      )
      .toArray();
    return inserted.length === 1;
  }

  #get(k: string): string | undefined {
    return this.#sql.exec<{ v: string }>(`select v from kv where k = ?`, k).toArray()[0]?.v;
  }

  #set(k: string, v: string) {
    this.#sql.exec(`insert or replace into kv (k, v) values (?, ?)`, k, v);
  }
}
