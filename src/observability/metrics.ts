/**
 * In-isolate counters: the one place code records countable events (rate-limit
 * fail-opens, cache hits, …). Names are Prometheus-style; labels are a small,
 * bounded set. The metrics capability aggregates these across isolates.
 *
 * Module state is safe here: counters only ever grow, and losing them when an
 * isolate is recycled loses a few samples, not correctness.
 */
const counters = new Map<string, number>();

const keyOf = (name: string, labels: Record<string, string>) => {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}="${v.replaceAll('"', "'")}"`);
  return parts.length ? `${name}{${parts.join(",")}}` : name;
};

export function increment(name: string, labels: Record<string, string> = {}, by = 1): void {
  const key = keyOf(name, labels);
  counters.set(key, (counters.get(key) ?? 0) + by);
}

export function counterValue(name: string, labels: Record<string, string> = {}): number {
  return counters.get(keyOf(name, labels)) ?? 0;
}
