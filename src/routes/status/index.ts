import { html, raw } from "hono/html";
import { createRouter } from "../../lib/create-router.ts";
import { timedCheck } from "../../lib/deadline.ts";
import { htmlPage } from "../../lib/html.ts";
import { edgeCache } from "../../middleware/edge-cache.ts";
import { countServersByStatus } from "../../services/servers/servers.ts";
import { CHECK_TIMEOUT_MS } from "../health/ready.ts";

/**
 * `GET /status`: the human status page — is the service up, how are its
 * dependencies, how many monitored servers are up. The same for every visitor,
 * so it is cached at the edge for 30 s under the `status` tag (server writes and
 * probes purge it).
 */
export const statusRouter = createRouter();
statusRouter.get("/status", edgeCache({ tags: ["status"], maxAge: 30 }), async (c) => {
  const [db, kv] = await Promise.all([
    timedCheck(() => countServersByStatus(c.get("db")), CHECK_TIMEOUT_MS),
    timedCheck(() => c.env.CACHE.get("health:probe"), CHECK_TIMEOUT_MS),
  ]);
  const counts = db.value ?? {};
  const healthy = db.ok && kv.ok;
  const row = (name: string, ok: boolean, detail: string) =>
    html`<tr><td>${name}</td><td class="${ok ? "ok" : "bad"}">${ok ? "operational" : "unavailable"}</td><td>${detail}</td></tr>`;
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>edgepanel status</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}.ok{color:#12753a}.bad{color:#b3261e}table{border-collapse:collapse;width:100%}
td{padding:.4rem;border-bottom:1px solid #ddd}.banner{padding:.8rem;border-radius:.4rem;background:${raw(healthy ? "#e6f4ea" : "#fce8e6")}}</style>
</head><body>
<h1>edgepanel status</h1>
<p class="banner ${healthy ? "ok" : "bad"}">${healthy ? "All systems operational" : "Degraded: some components are unavailable"}</p>
<table>
${row("API", true, "serving requests")}
${row("Database (D1)", db.ok, `${db.ms} ms`)}
${row("Cache (KV)", kv.ok, `${kv.ms} ms`)}
</table>
<h2>Monitored servers</h2>
<p>${Object.values(counts).reduce((a, b) => a + b, 0)} servers: ${counts.up ?? 0} up, ${counts.degraded ?? 0} degraded, ${counts.down ?? 0} down, ${counts.unknown ?? 0} not yet checked.</p>
<p><small>Generated ${new Date().toISOString()} · cached up to 30 s</small></p>
</body></html>`;
  const res = htmlPage(c, String(await page));
  return healthy ? res : new Response(res.body, { status: 503, headers: res.headers });
});
