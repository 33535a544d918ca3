/**
 * Webhook fan-out on the production bundle under Miniflare (the JOBS queue and its
 * consumer included): one event to 100 endpoints, each a receiver of its own on
 * 127.0.0.1 that checks the signature.
 *
 *   npm run bench:webhooks        # ENDPOINTS=100 ROUNDS=3 by default
 *
 * Each round creates one server (one `server.created` event, fanned out in the
 * create's own batch) and measures, from the moment the API answered:
 *   first    the first delivery received by a receiver
 *   last     the last delivery recorded `succeeded` in D1 (its attempt committed)
 * and deliveries per second = ENDPOINTS / last. Prints a RESULT line.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { api, buildBundle, fmt, median, startApp } from "./bench/harness.ts";

/** The first registered user (so an admin) and an API key of theirs with `keyBody`. */
async function benchUser(url: string, { keyBody }: { keyBody: Record<string, unknown> }) {
  const session = await api<{ access_token: string }>(url, "POST", "/api/v2/auth/register", {
    email: "bench@example.com",
    password: "benchmark password 123",
    name: "Bench",
  });
  const { key } = await api<{ key: string }>(
    url,
    "POST",
    "/api/v2/api-keys",
    { name: "bench", ...keyBody },
    { authorization: `Bearer ${session.access_token}` },
  );
  return { headers: { "x-api-key": key } };
}

const ENDPOINTS = Number(process.env.ENDPOINTS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const TIMEOUT_MS = 120_000;

interface Receiver {
  server: Server;
  url: string;
  secret?: string;
  arrivals: number[];
  invalid: number;
}

/** A receiver on 127.0.0.1 that verifies each delivery and answers 204. */
async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { server: createServer(), url: "", arrivals: [], invalid: 0 };
  r.server.on("request", async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    r.arrivals.push(Date.now());
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, String(v ?? "")]),
    );
    try {
      new Webhook(r.secret!).verify(Buffer.concat(chunks).toString("utf8"), headers);
    } catch {
      r.invalid++;
    }
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => r.server.listen(0, "127.0.0.1", resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hooks`;
  return r;
}

const bundle = buildBundle();
// wrangler.toml's top level is development: loopback receivers are allowed there only.
const app = await startApp(bundle, { MAX_SERVERS_PER_OWNER: "1000000" });
const receivers = await Promise.all(Array.from({ length: ENDPOINTS }, startReceiver));
try {
  const { headers } = await benchUser(app.url, {
    keyBody: {
      scopes: ["servers:read", "servers:write", "webhooks:write"],
      rate_limit_per_minute: 100_000,
    },
  });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${app.url}${path}`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, string>>;
  };
  for (const r of receivers)
    r.secret = (await post("/api/v2/webhooks", { url: r.url, events: ["server.created"] })).secret;

  const db = await app.mf.getD1Database("DB");
  const firsts: number[] = [];
  const lasts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of receivers) r.arrivals = [];
    const server = await post("/api/v2/servers", {
      name: `fanout-${round}`,
      host: "fanout.example.com",
      port: 443,
      environment: "production",
      tags: ["bench"],
    });
    const answered = Date.now();
    const eventId = (
      await db
        .prepare("select id from webhook_events where type = 'server.created' and body like ?")
        .bind(`%${server.id}%`)
        .first<{ id: string }>()
    )?.id;
    if (!eventId) throw new Error("no event was written with the server");
    let done: { n: number; last: string | null } | null = null;
    for (const started = Date.now(); Date.now() - started < TIMEOUT_MS; ) {
      done = await db
        .prepare(
          "select count(*) as n, max(finished_at) as last from webhook_deliveries where event_id = ? and status = 'succeeded'",
        )
        .bind(eventId)
        .first<{ n: number; last: string | null }>();
      if (done && done.n >= ENDPOINTS) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (!done || done.n < ENDPOINTS)
      throw new Error(`only ${done?.n ?? 0} of ${ENDPOINTS} deliveries succeeded`);
    const first = Math.min(...receivers.flatMap((r) => r.arrivals)) - answered;
    const last = Date.parse(done.last!) - answered;
    firsts.push(first);
    lasts.push(last);
    console.log(
      `round ${round + 1}: first delivery +${fmt(first, 0)} ms, last recorded +${fmt(last, 0)} ms, ${fmt(ENDPOINTS / (last / 1000), 1)} deliveries/s`,
    );
  }
  const received = receivers.reduce((a, r) => a + r.arrivals.length, 0);
  const invalid = receivers.reduce((a, r) => a + r.invalid, 0);
  console.log(
    `RESULT endpoints=${ENDPOINTS} rounds=${ROUNDS} first_ms=${fmt(median(firsts), 0)} last_recorded_ms=${fmt(median(lasts), 0)} deliveries_per_s=${fmt(ENDPOINTS / (median(lasts) / 1000), 1)} invalid_signatures=${invalid} duplicates_last_round=${received - ENDPOINTS}`,
  );
} finally {
  await app.dispose();
  for (const r of receivers) r.server.close();
}
