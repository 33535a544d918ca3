/**
 * A consumer of the packed @edgepanel/client, outside this repository. The package
 * check (scripts/client-package-check.ts) installs the tarball into a scratch project,
 * type-checks this file against the published .d.ts (no server source, no
 * skipLibCheck, no Node types) and runs it with Node.js against a fake API.
 * Signatures are recomputed here from their documented definitions with Web Crypto,
 * independently of the package's code.
 */
import {
  createClient,
  type EdgepanelClient,
  signRequest,
  verifyWebhook,
  WebhookVerificationError,
} from "@edgepanel/client";

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`consumer check failed: ${what}`);
  console.log(`ok - ${what}`);
}

const utf8 = new TextEncoder();
const hex = (b: ArrayBuffer) =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const base64 = (b: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(b)));
async function hmac(key: Uint8Array<ArrayBuffer>, message: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return crypto.subtle.sign("HMAC", k, utf8.encode(message));
}

// A fake edgepanel: records requests, answers a server list and a created server.
const seen: Request[] = [];
const server = {
  id: "0190c1d2-0000-7000-8000-000000000001",
  name: "web-1",
  host: "web-1.example.com",
  port: 443,
  environment: "production",
  tags: ["eu-west"],
  status: "up",
  health_check_url: null,
  last_checked_at: null,
  has_credentials: false,
  owner_id: "0190c1d2-0000-7000-8000-0000000000aa",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};
const fakeApi: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  seen.push(request.clone());
  if (request.method === "POST") return Response.json(server, { status: 201 });
  const isList = new URL(request.url).pathname === "/api/v2/servers";
  return Response.json(isList ? { data: [server], next_cursor: null } : server);
};

// --- typed calls -----------------------------------------------------------------
const api: EdgepanelClient = createClient("https://panel.example.com", {
  apiKey: "ep_live_example",
  fetch: fakeApi,
});
const list = await api.api.v2.servers.$get({ query: { tag: "eu-west", sort: "name" } });
if (list.status === 200) {
  const page = await list.json();
  const names: string[] = page.data.map((s) => s.name);
  const cursor: string | null = page.next_cursor;
  check(names[0] === "web-1" && cursor === null, "typed list call returns the parsed page");
} else {
  check(false, `list answered ${list.status}`);
}
const listed = seen.at(-1)!;
check(
  listed.url === "https://panel.example.com/api/v2/servers?tag=eu-west&sort=name",
  "query parameters are encoded into the URL",
);
check(listed.headers.get("x-api-key") === "ep_live_example", "the API key is sent as X-API-Key");

const one = await api.api.v2.servers[":id"].$get({ param: { id: server.id } });
check(new URL(seen.at(-1)!.url).pathname === `/api/v2/servers/${server.id}`, "path parameters");
if (one.status === 200) {
  const s = await one.json();
  const environment: "production" | "staging" | "development" = s.environment;
  check(environment === "production", "typed single resource");
}

// Mistakes are compile errors (each directive fails the type-check if it is not one).
if (Number.isNaN(0)) {
  const host = "h";
  // @ts-expect-error: port is a number
  await api.api.v2.servers.$post({ json: { name: "x", host, port: "1", environment: "staging" } });
  // @ts-expect-error: environment is one of production | staging | development
  await api.api.v2.servers.$post({ json: { name: "x", host, port: 1, environment: "prod" } });
  // @ts-expect-error: no such route
  await api.api.v2.nope.$get();
  // @ts-expect-error: :id needs its param
  await api.api.v2.servers[":id"].$get();
}

// --- request signing (docs: "{timestamp}.{METHOD}.{path?query}.{hex sha256(body)}") ------
const secret = "epss_example_signing_secret";
const signed = createClient("https://panel.example.com", {
  apiKey: "ep_live_example",
  signingSecret: secret,
  fetch: fakeApi,
});
const created = await signed.api.v2.servers.$post({
  json: { name: "web-1", host: "web-1.example.com", port: 443, environment: "production" },
});
check(created.status === 201, "signed create reaches the API");
const post = seen.at(-1)!;
const sentBody = await post.text();
const ts = post.headers.get("x-signature-timestamp")!;
const expected = hex(
  await hmac(
    utf8.encode(secret),
    `${ts}.POST./api/v2/servers.${hex(await crypto.subtle.digest("SHA-256", utf8.encode(sentBody)))}`,
  ),
);
check(post.headers.get("x-signature") === `v1=${expected}`, "createClient signs what it sends");
check(/^\S{8,}$/.test(post.headers.get("x-signature-nonce") ?? ""), "with a nonce");

const headers = await signRequest(secret, {
  method: "get",
  pathWithQuery: "/api/v2/servers?limit=5",
  nowSeconds: 1_795_310_000,
  nonce: "n-1",
});
const emptyHash = hex(await crypto.subtle.digest("SHA-256", new Uint8Array(0)));
check(
  headers["X-Signature"] ===
    `v1=${hex(await hmac(utf8.encode(secret), `1795310000.GET./api/v2/servers?limit=5.${emptyHash}`))}`,
  "signRequest matches the documented signing string",
);

// --- webhooks (Standard Webhooks: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}") -----
const key = crypto.getRandomValues(new Uint8Array(32));
const whsec = `whsec_${base64(key.buffer)}`;
const body = JSON.stringify({ type: "server.created", data: { id: server.id } });
const id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const now = String(Math.floor(Date.now() / 1000));
const delivery = new Headers({
  "webhook-id": id,
  "webhook-timestamp": now,
  "webhook-signature": `v1,${base64(await hmac(key, `${id}.${now}.${body}`))}`,
});
const event = verifyWebhook<{ type: string; data: { id: string } }>(whsec, delivery, body);
check(event.type === "server.created" && event.data.id === server.id, "verifyWebhook");
try {
  verifyWebhook(whsec, delivery, body.replace("created", "deleted"));
  check(false, "a tampered webhook body must be refused");
} catch (err) {
  check(err instanceof WebhookVerificationError, "a tampered webhook is refused");
}
