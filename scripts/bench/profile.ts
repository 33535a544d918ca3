/**
 * Where the Worker's own CPU goes on one request, by function: a V8 CPU profile of
 * the production bundle's isolate (through workerd's inspector) taken while
 * autocannon loads one route. Load-test figures on a shared machine move by ±30 %;
 * a profile's shares do not, so this is the tool for choosing what to make cheaper.
 *
 *   npm run bench:profile                          # the warm cached list
 *   npm run bench:profile -- --route live          # /health/live
 *   npm run bench:profile -- --route authfail      # a refused API key
 *   options: --duration S (5)  --top N (35)  --out FILE (the .cpuprofile, for DevTools)
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { fixture, LIST } from "./fixture.ts";
import { buildBundle, type LoadSpec, load, startApp } from "./harness.ts";

const { values: args } = parseArgs({
  options: {
    route: { type: "string", default: "cached" },
    duration: { type: "string", default: "5" },
    top: { type: "string", default: "35" },
    out: { type: "string" },
  },
});

const INSPECTOR_PORT = 9300 + Math.floor(Math.random() * 500);
const app = await startApp(
  buildBundle(undefined, "dist", "production"),
  {},
  {
    env: "production",
    assets: false,
    inspectorPort: INSPECTOR_PORT,
  },
);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A tiny CDP client: one WebSocket, request/response by id. */
async function inspector(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    id: string;
    title: string;
    webSocketDebuggerUrl?: string;
  }[];
  const target = targets.find((t) => t.title.includes("edgepanel")) ?? targets[0];
  if (!target) throw new Error("no inspector target");
  const ws = new WebSocket(target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${port}/${target.id}`);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve);
    ws.addEventListener("error", reject);
  });
  let next = 1;
  const pending = new Map<number, (v: unknown) => void>();
  ws.addEventListener("message", (e: MessageEvent) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        const id = next++;
        pending.set(id, resolve as (v: unknown) => void);
        ws.send(JSON.stringify({ id, method, params }));
      }),
    close: () => ws.close(),
  };
}

try {
  const f = await fixture(app.url);
  const specs: Record<string, LoadSpec> = {
    cached: {
      path: LIST,
      vary: (n) => ({ headers: { "x-api-key": f.keys[n % f.keys.length]! } }),
    },
    live: { path: "/health/live" },
    authfail: {
      path: LIST,
      headers: { "x-api-key": "ep_live_not-a-real-key" },
    },
  };
  const spec = specs[args.route!];
  if (!spec) throw new Error(`--route is one of ${Object.keys(specs).join(", ")}`);
  // Warm the isolate (JIT, caches) before sampling.
  await load(app, spec, { duration: 2 });
  const cdp = await inspector(INSPECTOR_PORT);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 500 });
  await cdp.send("Profiler.start");
  const result = await load(app, spec, { duration: Number(args.duration) });
  const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop");
  cdp.close();
  if (args.out) writeFileSync(args.out, JSON.stringify(profile));

  // Self time per function, then per "area" (the bundle's source module, by name).
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  // Native frames (runtime calls: console.log, Headers, crypto, timers) are charged to
  // the JavaScript function that called them, which is the one to change.
  const isNative = (id: number) => {
    const { lineNumber, url, functionName } = byId.get(id)!.callFrame;
    return (lineNumber < 0 || !url) && !functionName.startsWith("(");
  };
  const charged = (id: number) => {
    let at = id;
    while (isNative(at) && parent.has(at)) at = parent.get(at)!;
    return at;
  };
  const totals = new Map<string, number>();
  let all = 0;
  for (const [sampled, us] of self) {
    const id = charged(sampled);
    const { functionName, lineNumber, url } = byId.get(id)!.callFrame;
    // Built-ins have no line; their script (if any) tells them apart.
    const where = lineNumber >= 0 && url ? lineNumber + 1 : url.split("/").pop() || "native";
    const key = `${functionName || "(anonymous)"}:${where}`;
    totals.set(key, (totals.get(key) ?? 0) + us);
    all += us;
  }
  const idle = totals.get("(idle):native") ?? 0;
  const busy = all - idle;
  const perRequest = (us: number) => us / result.requests;
  console.log(
    `${args.route}: ${result.requests} requests in ${args.duration} s, ` +
      `${result.rps.toFixed(0)} req/s; isolate busy ${perRequest(busy).toFixed(1)} µs/request ` +
      `(JavaScript and the runtime calls it makes, charged to the calling function; the process's HTTP and I/O threads are outside the profile)`,
  );
  console.log("\n| function:line (bundle) | µs/request | share of busy |\n|---|---|---|");
  for (const [key, us] of [...totals]
    .filter(([k]) => k !== "(idle):native")
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(args.top))) {
    console.log(`| ${key} | ${perRequest(us).toFixed(1)} | ${((100 * us) / busy).toFixed(1)} % |`);
  }
} finally {
  await app.dispose();
}
