/**
 * A bounded in-isolate LRU with per-entry expiry. Isolate memory outlives a
 * request, so every entry must carry its own deadline and the map must not grow
 * without bound (128 MB per isolate on Workers).
 */
export class LruCache<V> {
  readonly #max: number;
  readonly #map = new Map<string, { value: V; expiresAt: number }>();

  constructor(max = 1_000) {
    this.#max = max;
  }

  get(key: string, now = Date.now()): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    if (hit.expiresAt <= now) {
      this.#map.delete(key);
      return undefined;
    }
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.#map.delete(key);
    this.#map.set(key, { value, expiresAt: now + ttlMs });
    while (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Deletes every entry whose value matches; O(n), for rare invalidations. */
  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, { value }] of this.#map) if (predicate(value)) this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
