/**
 * The warm cached read served by Fastify, for comparison with the Worker on the same
 * machine (`npm run bench` starts it; see docs/benchmarks.md). It does the same
 * per-request work the Worker's hot path must: check the API key (SHA-256 of the
 * presented key, looked up in memory), count the request in an in-memory sliding
 * window per key, and answer the cached JSON list with the same body and the same
 * headers (a fresh request id, Server-Timing, RateLimit headers, ETag, cache status,
 * security set), plus one JSON access-log line per request written to /dev/null.
 *
 *   PEER_RESPONSE=<file> PORT=0 node scripts/bench/peers/fastify.ts
 *
 * PEER_RESPONSE is a JSON file: { path, keyHashes[], limit, headers: [[k, v]…], body
 * (base64) } — the Worker's own captured response.
 */
import { createHash, randomUUID } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import Fastify from "fastify";

interface PeerResponse {
  path: string;
  keyHashes: string[];
  limit: number;
  headers: [string, string][];
  body: string;
}

const spec = JSON.parse(readFileSync(process.env.PEER_RESPONSE!, "utf8")) as PeerResponse;
const body = Buffer.from(spec.body, "base64");
const keys = new Set(spec.keyHashes);
// Headers that change per request are computed below; framework-owned ones are Fastify's.
const perRequest = new Set([
  "x-request-id",
  "server-timing",
  "ratelimit",
  "ratelimit-policy",
  "content-length",
  "date",
  "connection",
  "keep-alive",
  "transfer-encoding",
]);
const staticHeaders = Object.fromEntries(spec.headers.filter(([k]) => !perRequest.has(k)));
const policy = `"api_key";q=${spec.limit};w=60`;

// Sliding window of two fixed windows per key (what most Node rate limiters do).
const windows = new Map<string, { start: number; current: number; previous: number }>();
function admit(key: string, now: number): { allowed: boolean; remaining: number; reset: number } {
  const start = now - (now % 60_000);
  let w = windows.get(key);
  if (!w || w.start !== start) {
    w = { start, current: 0, previous: w && w.start === start - 60_000 ? w.current : 0 };
    windows.set(key, w);
  }
  const used = w.current + w.previous * (1 - (now - start) / 60_000);
  if (used >= spec.limit) return { allowed: false, remaining: 0, reset: 60 - (now - start) / 1000 };
  w.current++;
  return {
    allowed: true,
    remaining: Math.floor(spec.limit - used - 1),
    reset: Math.ceil(60 - (now - start) / 1000),
  };
}

const log = createWriteStream("/dev/null");
const app = Fastify({ logger: false });
app.get(spec.path.split("?")[0]!, (req, reply) => {
  const t0 = performance.now();
  const id = randomUUID();
  const key = req.headers["x-api-key"];
  if (typeof key !== "string" || !keys.has(createHash("sha256").update(key).digest("hex"))) {
    reply.code(401).header("x-request-id", id).send({ title: "Unauthorized" });
    return;
  }
  const d = admit(key, Date.now());
  reply
    .headers(staticHeaders)
    .header("x-request-id", id)
    .header("ratelimit-policy", policy)
    .header("ratelimit", `"api_key";r=${d.remaining};t=${d.reset}`);
  if (!d.allowed) {
    reply.code(429).send({ title: "Too Many Requests" });
    return;
  }
  reply.header("server-timing", `total;dur=${(performance.now() - t0).toFixed(1)}`);
  reply.send(body);
  log.write(
    `${JSON.stringify({ level: "info", msg: "request", request_id: id, method: "GET", path: req.url, status: 200, duration_ms: performance.now() - t0 })}\n`,
  );
});

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST });
console.log(`listening on ${new URL(address).port}`);
