/**
 * What single runtime calls cost in workerd, per call: each operation runs 2,000
 * times per request inside one Worker, and the process's CPU over 20 requests is
 * divided by the 40,000 calls (resolution ≈ 0.25–0.5 µs at 100 clock ticks/s). A
 * load test cannot resolve costs this small on a shared machine (its rounds move by
 * tens of µs); these are what a middleware's cost is made of.
 *
 *   npm run bench:micro
 */
import { build } from "esbuild";
import { cpuMicros, startScripts } from "./harness.ts";

const N = 2_000;
const REQUESTS = 20;

const source = `
import { uuidv7 } from "./src/lib/ids.ts";
import { sha256Hex } from "./src/lib/encoding.ts";
const N = ${N};
const key = "ep_live_0123456789abcdefghijklmnopqrstuvwxyzABCDEF_0a1b2c3d";
const line = JSON.stringify({ ts: new Date().toISOString(), level: "info", msg: "request",
  request_id: "0193a7b2-1c2d-7e3f-8a9b-0c1d2e3f4a5b", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  method: "GET", route: "/api/v2/servers", path: "/api/v2/servers", status: 200, duration_ms: 1.2,
  user_agent: "autocannon", identity: "key:0193a7b2-1c2d-7e3f-8a9b-0c1d2e3f4a5b" });
const headers = new Headers({ "x-api-key": key, accept: "*/*", "user-agent": "autocannon" });
const ops = {
  "empty loop (baseline)": async () => { let x = 0; for (let i = 0; i < N; i++) x += i; return x; },
  "await of a resolved value": async () => { for (let i = 0; i < N; i++) await null; },
  "crypto.getRandomValues, 34 bytes": async () => { for (let i = 0; i < N; i++) crypto.getRandomValues(new Uint8Array(34)); },
  "uuidv7() (src/lib/ids.ts)": async () => { for (let i = 0; i < N; i++) uuidv7(); },
  "SHA-256 of an API key (crypto.subtle, hex)": async () => { for (let i = 0; i < N; i++) await sha256Hex(key); },
  "setTimeout + clearTimeout": async () => { for (let i = 0; i < N; i++) clearTimeout(setTimeout(() => {}, 10_000)); },
  "console.log of an access-log line": async () => { for (let i = 0; i < N; i++) console.log(line); },
  "JSON.stringify of an access-log entry": async () => { const o = JSON.parse(line); for (let i = 0; i < N; i++) JSON.stringify(o); },
  "Headers.get": async () => { for (let i = 0; i < N; i++) headers.get("x-api-key"); },
  "Headers.set on a new response": async () => { for (let i = 0; i < N; i++) new Response("x").headers.set("x-request-id", "abc"); },
  "new Response (string body)": async () => { for (let i = 0; i < N; i++) new Response("ok"); },
};
export default { async fetch(req) {
  const op = decodeURIComponent(new URL(req.url).pathname.slice(1));
  if (op === "") return Response.json(Object.keys(ops));
  await ops[op]();
  return new Response("ok");
} };
`;
const bundle = await build({
  stdin: { contents: source, resolveDir: process.cwd(), loader: "ts" },
  bundle: true,
  format: "esm",
  write: false,
  platform: "neutral",
});
const { targets, dispose } = await startScripts({ micro: bundle.outputFiles[0]!.text });
const micro = targets.micro!;
try {
  const names = (await (await fetch(`${micro.url}/`)).json()) as string[];
  const rounds: Record<string, number[]> = {};
  for (let round = 0; round < 3; round++) {
    for (const name of names) {
      const url = `${micro.url}/${encodeURIComponent(name)}`;
      await (await fetch(url)).text();
      const before = cpuMicros(micro.pid);
      for (let i = 0; i < REQUESTS; i++) await (await fetch(url)).text();
      (rounds[name] ??= []).push((cpuMicros(micro.pid) - before) / (REQUESTS * N));
    }
  }
  console.log("| runtime call | µs per call (median of 3 rounds) |\n|---|---|");
  for (const name of names) {
    const xs = rounds[name]!.sort((a, b) => a - b);
    console.log(`| ${name} | ${xs[1]!.toFixed(2)} |`);
  }
} finally {
  await dispose();
}
