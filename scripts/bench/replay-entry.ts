/**
 * The ceiling for a cached read in the benchmark harness: the production Worker's
 * own answer to a request (same status, headers and body), captured once and then
 * replayed from memory — no routing, middleware, auth, limiter or cache work at
 * all. `bench:cache` loads it next to the real warm read, so the report separates
 * what the response itself costs (its headers, mostly) from what our code costs.
 *
 *   GET /__replay?path=/api/v2/servers%3Flimit%3D20   (with the caller's headers)
 */
import type { Bindings } from "../../src/env.ts";
import worker from "../../src/index.ts";

export { RateLimiter } from "../../src/rate-limit/durable-object.ts";

let captured: { body: ArrayBuffer; status: number; headers: [string, string][] } | undefined;

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== "/__replay") return worker.fetch(request, env, ctx);
    if (!captured) {
      const target = new URL(url.searchParams.get("path") ?? "/", url.origin);
      const res = await worker.fetch(new Request(target, { headers: request.headers }), env, ctx);
      captured = { body: await res.arrayBuffer(), status: res.status, headers: [...res.headers] };
    }
    return new Response(captured.body, { status: captured.status, headers: captured.headers });
  },
} satisfies ExportedHandler<Bindings>;
