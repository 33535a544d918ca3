import { Coalescer } from "../lib/coalesce.ts";
import { increment } from "../observability/metrics.ts";
import { LruCache } from "./lru.ts";

/**
 * A two-tier read cache with tag invalidation and stale-while-revalidate.
 *
 * - L1: a bounded LRU in the isolate (short TTL) — a hit costs no I/O.
 * - L2: KV, JSON values with metadata (stored-at, fresh TTL, tags).
 * - Tags: every key embeds the current version of each of its tags
 *   (`tagv:<tag>` in KV, cached in the isolate for TAG_TTL_MS). A write bumps the
 *   versions of the tags it touches — O(1), whatever the number of cached lists —
 *   and old keys simply expire. The writer's isolate sees the bump at once; others
 *   within TAG_TTL_MS plus KV propagation.
 * - SWR: an entry past its fresh TTL is served at once and refreshed in
 *   `waitUntil`, with a per-isolate lock so only one refresh runs per key.
 * - Degradation: if the loader fails (D1 down), any stored entry, however stale,
 *   is served and marked stale; with none, the error propagates.
 */
export type CacheOutcome = "HIT" | "MISS" | "STALE";

export interface Entry<T> {
  v: T;
  /** Stored at (ms since epoch). */
  at: number;
  /** Fresh for this many ms. */
  ttl: number;
  tags: string[];
}

export interface CacheResult<T> {
  value: T;
  outcome: CacheOutcome;
  /** Seconds of freshness left (negative when stale). */
  ttlLeft: number;
  /** True when served stale because the loader failed. */
  degraded: boolean;
}

export interface CacheOptions {
  /** Fresh lifetime. */
  ttlMs: number;
  /** How long KV keeps an entry for stale serving (≥ 60 s, KV's minimum). */
  staleTtlSeconds?: number;
  /** L1 lifetime (never longer than ttlMs). */
  l1TtlMs?: number;
  /** Which loader errors may be answered with a stale copy (default: all). Expected
   * failures such as "not found" must not be. */
  fallbackOn?: (error: unknown) => boolean;
  /** Skip the read and load afresh (the client sent `Cache-Control: no-cache`); the result is stored. */
  revalidate?: boolean;
}

const TAG_TTL_MS = 1_000;

// Isolate-level state, each entry with its own deadline, bounded in size: safe to
// keep between requests (values are immutable plain data).
const l1 = new LruCache<Entry<unknown>>(2_000);
const tagVersions = new LruCache<string>(5_000);
const refreshing = new Set<string>();

const counter = (name: string, outcome: string) =>
  increment("cache_requests_total", { cache: name, outcome: outcome.toLowerCase() });

/**
 * Invalidates every entry, in every cache, carrying any of `tags` (O(1) per tag):
 * the new version applies at once in this isolate and reaches the others through KV.
 */
export async function bumpTags(kv: KVNamespace, tags: string[]): Promise<void> {
  const now = Date.now();
  await Promise.all(
    [...new Set(tags)].map((tag) => {
      const v = `${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      tagVersions.set(tag, v, TAG_TTL_MS, now);
      latestBump.set(tag, v);
      // KV takes at most one write per second per key, and a hot tag
      // (`servers:all`) is bumped by every write: publish at most once a second
      // per isolate, always the newest version. Other isolates re-read tag
      // versions every TAG_TTL_MS anyway, so this adds at most a second.
      return tagWrites.run(tag, async () => {
        const latest = latestBump.get(tag);
        latestBump.delete(tag);
        if (latest !== undefined) await kv.put(`tagv:${tag}`, latest);
      });
    }),
  );
}

const tagWrites = new Coalescer(1_000);
/** The newest version bumped in this isolate and not yet written to KV, per tag. */
const latestBump = new Map<string, string>();

export class TieredCache {
  readonly #kv: KVNamespace;
  readonly #name: string;

  constructor(kv: KVNamespace, name: string) {
    this.#kv = kv;
    this.#name = name;
  }

  async #versions(tags: string[], now: number): Promise<string[]> {
    return Promise.all(
      tags.map(async (tag) => {
        const local = tagVersions.get(tag, now);
        if (local !== undefined) return local;
        const v = (await this.#kv.get(`tagv:${tag}`).catch(() => null)) ?? "0";
        tagVersions.set(tag, v, TAG_TTL_MS, now);
        return v;
      }),
    );
  }

  async get<T>(
    key: string,
    tags: string[],
    loader: () => Promise<T>,
    options: CacheOptions,
    waitUntil: (p: Promise<unknown>) => void,
  ): Promise<CacheResult<T>> {
    const now = Date.now();
    const versions = await this.#versions(tags, now);
    const baseKey = `${this.#name}:${key}`;
    const fullKey = `c:${baseKey}:${versions.join(".")}`;
    const l1Ttl = Math.min(options.l1TtlMs ?? 5_000, options.ttlMs);

    let entry = options.revalidate ? undefined : (l1.get(fullKey, now) as Entry<T> | undefined);
    if (!entry && !options.revalidate) {
      entry = (await this.#kv.get<Entry<T>>(fullKey, "json").catch(() => null)) ?? undefined;
      // A slow KV read must not overwrite a newer copy a refresh put in L1 meanwhile.
      const newer = l1.get(fullKey) as Entry<T> | undefined;
      if (newer && (!entry || newer.at >= entry.at)) entry = newer;
      else if (entry) l1.set(fullKey, entry, l1Ttl, now);
    }
    const ttlLeft = (e: Entry<T>) => Math.round((e.at + e.ttl - now) / 1000);

    if (entry && now - entry.at < entry.ttl) {
      counter(this.#name, "HIT");
      return { value: entry.v, outcome: "HIT", ttlLeft: ttlLeft(entry), degraded: false };
    }
    if (entry) {
      // Stale: answer now, refresh once (per isolate) in the background.
      if (!refreshing.has(fullKey)) {
        refreshing.add(fullKey);
        waitUntil(
          this.#load(baseKey, fullKey, tags, loader, options, l1Ttl)
            .catch(() => {})
            .finally(() => refreshing.delete(fullKey)),
        );
      }
      counter(this.#name, "STALE");
      return { value: entry.v, outcome: "STALE", ttlLeft: ttlLeft(entry), degraded: false };
    }
    try {
      const value = await this.#load(baseKey, fullKey, tags, loader, options, l1Ttl, waitUntil);
      counter(this.#name, "MISS");
      return { value, outcome: "MISS", ttlLeft: Math.round(options.ttlMs / 1000), degraded: false };
    } catch (error) {
      if (options.fallbackOn && !options.fallbackOn(error)) throw error;
      // The loader failed with nothing usable under the current versions: try the
      // last entry stored for this key under any version (kept as a fallback).
      const fallback = await this.#kv.get<Entry<T>>(`f:${baseKey}`, "json").catch(() => null);
      if (fallback) {
        counter(this.#name, "STALE");
        return { value: fallback.v, outcome: "STALE", ttlLeft: ttlLeft(fallback), degraded: true };
      }
      throw error;
    }
  }

  async #load<T>(
    baseKey: string,
    fullKey: string,
    tags: string[],
    loader: () => Promise<T>,
    options: CacheOptions,
    l1Ttl: number,
    waitUntil?: (p: Promise<unknown>) => void,
  ): Promise<T> {
    const value = await loader();
    const entry: Entry<T> = { v: value, at: Date.now(), ttl: options.ttlMs, tags };
    l1.set(fullKey, entry, l1Ttl);
    const body = JSON.stringify(entry);
    const stale = Math.max(60, options.staleTtlSeconds ?? 300);
    const writes = Promise.all([
      this.#kv.put(fullKey, body, { expirationTtl: stale }),
      // Last known value under any tag version: only read when the loader fails.
      this.#kv.put(`f:${baseKey}`, body, { expirationTtl: 24 * 3600 }),
    ]).catch(() => {});
    if (waitUntil) waitUntil(writes);
    else await writes;
    return value;
  }
}
