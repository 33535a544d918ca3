import { env } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../src/lib/ids.ts";
import { saveIpRules } from "../../src/services/ip-rules/ip-rules.ts";
import {
  api,
  createKey,
  expectStatus,
  PASSWORD,
  register,
  type Session,
  seedUser,
  uniqueEmail,
  uniqueIp,
} from "../helpers.ts";
import { conforms } from "./json-schema-arbitrary.ts";
import {
  type OpenApiDocument,
  type Operation,
  operations,
  type Planned,
  plan,
} from "./operations.ts";

/**
 * Property-based fuzzing of the whole API from its own OpenAPI document: for every
 * operation in /openapi.json, requests generated from the documented schemas —
 * valid ones and invalid ones (bodies, query and path values the document refuses,
 * undeclared query parameters, malformed JSON, wrong media types, missing bodies) —
 * go through the real Worker with real credentials. Asserted for every response:
 * no 5xx; the status is documented for the operation; a 4xx is an RFC 9457 problem
 * (problem+json, every member, `instance` the path as sent, not cacheable), a 401
 * has WWW-Authenticate and a 429 Retry-After; a 2xx body matches the documented
 * schema; and a request the document calls valid is never refused as invalid (422,
 * 415, malformed JSON, or 400 for an unknown parameter).
 *
 * FUZZ_SEED (a binding, see vitest.config.ts) replays or varies a run; the default
 * is fixed so CI is deterministic.
 */

const PER_OPERATION = 64;
/** Each valid request to these hashes a password (PBKDF2, 100,000 iterations): fewer of them. */
const EXPENSIVE: Record<string, number> = {
  "POST /api/v2/auth/register": 32,
  "POST /api/v2/auth/login": 32,
  // Each accepted one runs a real backup or restore drill in the background.
  "POST /api/v2/backups": 8,
  "POST /api/v2/backups/drills": 8,
};
const ALL_SCOPES = ["servers:read", "servers:write", "webhooks:write", "admin"];

type Credential = { name: string; token?: string; apiKey?: string };
let credentials: Credential[];
const pools = {
  users: [] as string[],
  servers: [] as string[],
  keys: [] as string[],
  jobs: [] as string[],
  refreshTokens: [] as string[],
  logins: [] as { email: string; password: string }[],
  /** next_cursor values seen in list responses, replayed on any list (a foreign one is a 400). */
  cursors: [] as string[],
};
/** Which pool a `{id}` in a path draws from. */
const poolFor = (path: string) =>
  path.includes("/users/")
    ? pools.users
    : path.includes("/servers/")
      ? pools.servers
      : path.includes("/api-keys/")
        ? pools.keys
        : path.includes("/jobs/")
          ? pools.jobs
          : [];

const outbound: string[] = [];

beforeAll(async () => {
  // Nothing leaves the test: a probe job or a provider call gets a network error.
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    outbound.push(String(input instanceof Request ? input.url : input));
    throw new TypeError("network disabled in the fuzz run");
  });
  const admin = await seedUser({ role: "admin" });
  const operator = await seedUser({ role: "operator" });
  const viewer = await seedUser({ role: "viewer" });
  const adminKey = await createKey(admin.access_token, {
    name: "fuzz admin",
    scopes: ALL_SCOPES,
    rate_limit_per_minute: 100_000,
  });
  const operatorKey = await createKey(operator.access_token, {
    name: "fuzz operator",
    scopes: ["servers:read", "servers:write"],
    rate_limit_per_minute: 100_000,
  });
  // Weighted by repetition: the credential index a plan draws is uniform over these.
  credentials = [
    { name: "admin API key", apiKey: adminKey.key },
    { name: "admin API key", apiKey: adminKey.key },
    { name: "admin API key", apiKey: adminKey.key },
    { name: "admin JWT", token: admin.access_token },
    { name: "admin JWT", token: admin.access_token },
    { name: "operator JWT", token: operator.access_token },
    { name: "operator JWT", token: operator.access_token },
    { name: "operator API key", apiKey: operatorKey.key },
    { name: "viewer JWT", token: viewer.access_token },
    { name: "none" },
  ];

  // Resources the fuzzer may change or delete; the credentials' own rows are never in a pool.
  for (let i = 0; i < 4; i++) {
    const email = uniqueEmail("fuzz-victim");
    const s: Session = await register(email);
    pools.users.push(s.user.id);
    pools.refreshTokens.push(s.refresh_token);
    pools.logins.push({ email, password: PASSWORD });
  }
  for (const [owner, n] of [
    [operator, 3],
    [admin, 2],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const server = await expectStatus<{ id: string }>(
        await api("/api/v2/servers", {
          method: "POST",
          token: owner.access_token,
          body: {
            name: `fuzz-fixture-${uuidv7()}`,
            host: "fixture.example.com",
            port: 443,
            environment: "staging",
            health_check_url: "https://fixture.example.com/healthz",
          },
        }),
        201,
      );
      pools.servers.push(server.id);
    }
  }
  await seedChecks(pools.servers[0]!);
  for (const owner of [admin, admin, operator]) {
    const k = await createKey(owner.access_token, { name: "fuzz victim key" });
    pools.keys.push(k.id);
  }
  const probe = await expectStatus<{ job_id: string }>(
    await api(`/api/v2/servers/${pools.servers[0]}/checks`, {
      method: "POST",
      token: operator.access_token,
    }),
    202,
  );
  pools.jobs.push(probe.job_id);
});

// The fetch mock stays for the file's lifetime: queued probes may still run after the test.
afterAll(() => saveIpRules(env.CACHE, []));

async function seedChecks(serverId: string) {
  const base = Date.now() - 60_000;
  await env.DB.batch(
    (
      [
        ["up", 200, 137, null],
        ["down", 503, 88, "HTTP 503"],
        ["down", null, null, "timeout"],
      ] as const
    ).map(([status, http, latency, error], i) =>
      env.DB.prepare(
        "insert into server_checks (id, server_id, job_id, status, http_status, latency_ms, error, checked_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
      ).bind(uuidv7(), serverId, uuidv7(), status, http, latency, error, nowIso(base + i * 1000)),
    ),
  );
}

const pick = <T>(list: readonly T[], n: number): T | undefined =>
  list.length ? list[n % list.length] : undefined;

/** Turns a plan into the request it describes, with fixtures resolved now. */
function materialise(op: Operation, p: Planned) {
  let path = op.path;
  for (const [name, v] of Object.entries(p.params)) {
    const value =
      "fixture" in v ? (pick(poolFor(op.path), v.fixture) ?? crypto.randomUUID()) : v.value;
    path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  const query = p.query.map(([k, v], i): [string, string] =>
    k === "cursor" && p.kind === "valid" && (p.credential + i) % 2 === 0 && pools.cursors.length
      ? [k, pick(pools.cursors, p.credential + v.length)!]
      : [k, v],
  );
  const search = new URLSearchParams(query).toString();
  let body = p.body;
  if (p.fixtureBody && p.kind === "valid") {
    if (op.id === "POST /api/v2/auth/login" && pools.logins.length)
      body = pick(pools.logins, p.credential);
    if (/^POST \/api\/v2\/auth\/(refresh|logout)$/.test(op.id) && pools.refreshTokens.length)
      body = { refresh_token: pick(pools.refreshTokens, p.credential) };
  }
  const headers: Record<string, string> = { "cf-connecting-ip": uniqueIp() };
  if (p.contentType) headers["content-type"] = p.contentType;
  else if (typeof body === "string") headers["content-type"] = "application/json";
  return { url: `${path}${search ? `?${search}` : ""}`, body, headers };
}

/** The members of response bodies the fuzzer reads: a problem's, and ids of what it created. */
type Seen = {
  type?: string;
  status?: number;
  instance?: string;
  request_id?: string;
  id?: string;
  user?: { id: string };
  refresh_token?: string;
  job_id?: string;
  next_cursor?: unknown;
  [member: string]: unknown;
};

type Tally = { total: number; kinds: Record<string, number>; statuses: Record<number, number> };

/** Everything wrong with one response, as sentences (empty: fine), and its parsed body. */
async function judge(op: Operation, p: Planned, url: string, res: Response) {
  const problems: string[] = [];
  const text = await res.text();
  const status = res.status;
  const contentType = res.headers.get("content-type") ?? "";
  const documented = op.responses[String(status)];
  if (status >= 500) problems.push(`answered ${status}`);
  if (!documented) problems.push(`status ${status} is not documented for the operation`);
  let json: Seen | undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    if (/json/.test(contentType)) problems.push("body is not JSON");
  }
  if (!res.headers.get("x-request-id")) problems.push("no X-Request-Id");
  if (res.headers.get("x-content-type-options") !== "nosniff") problems.push("no nosniff");
  // RFC 9110 §15.5.2 and §10.2.3 (as the contract has it): how to authenticate, when to retry.
  if (status === 401 && !res.headers.get("www-authenticate"))
    problems.push("401 without WWW-Authenticate");
  if (status === 429 && !res.headers.get("retry-after")) problems.push("429 without Retry-After");
  if (status >= 400) {
    if (!/no-store/.test(res.headers.get("cache-control") ?? ""))
      problems.push("an error that shared caches may store");
    if (!contentType.startsWith("application/problem+json"))
      problems.push(`an error as ${contentType || "no content type"}, not problem+json`);
    for (const field of ["type", "title", "detail", "instance", "request_id"])
      if (typeof json?.[field] !== "string") problems.push(`problem without a string ${field}`);
    if (json?.status !== status) problems.push(`problem status ${json?.status} ≠ ${status}`);
    // RFC 9457 §3.1.5: a URI reference, so the path as sent, percent-encoding and all.
    const sentPath = new URL(url, "https://panel.test").pathname;
    if (json?.instance !== sentPath)
      problems.push(
        `problem instance ${JSON.stringify(json?.instance)} ≠ the path sent, ${sentPath}`,
      );
    if (json?.request_id !== res.headers.get("x-request-id"))
      problems.push("problem request_id differs from X-Request-Id");
    if (documented?.schema && !conforms(documented.schema, json))
      problems.push("problem does not match the Problem schema");
  } else if (status >= 200 && status < 300 && documented) {
    if (documented.schema) {
      if (!contentType.startsWith(documented.mediaType ?? "application/json"))
        problems.push(`content type ${contentType}, documented ${documented.mediaType}`);
      // Only JSON bodies are parsed; others (the Atom feed) are checked by their own tests.
      if (
        /json/.test(documented.mediaType ?? "application/json") &&
        !conforms(documented.schema, json)
      )
        problems.push("body does not match the documented schema");
    } else if (text) problems.push("a body where none is documented");
  }
  const type = json?.type;
  const refusedAsInvalid =
    status === 422 ||
    status === 415 ||
    status === 413 ||
    type === "/problems/unknown-query-parameter" ||
    type === "/problems/malformed-json";
  if (p.kind === "valid" && refusedAsInvalid)
    problems.push(`a request the document calls valid was refused: ${status} ${type}`);
  const beforeValidation = [401, 403, 429];
  if (
    p.kind === "unknown-query" &&
    op.strictQuery &&
    !beforeValidation.includes(status) &&
    type !== "/problems/unknown-query-parameter"
  )
    problems.push(`an undeclared query parameter was not refused (${status})`);
  if (
    p.kind === "malformed-json" &&
    !beforeValidation.includes(status) &&
    type !== "/problems/malformed-json"
  )
    problems.push(`malformed JSON answered ${status} ${type}`);
  if (p.kind === "wrong-media-type" && ![...beforeValidation, 415].includes(status))
    problems.push(`a non-JSON body answered ${status}`);
  return { json, problems: problems.map((m) => `${m}\n    body: ${text.slice(0, 400)}`) };
}

/** Keeps the pools current: new resources join, deleted ones leave; the deny list is reset. */
async function learn(op: Operation, url: string, status: number, body: Seen | undefined) {
  if (!body) return;
  if (status === 201 && op.id === "POST /api/v2/auth/register") {
    pools.users.push(body.user!.id);
    pools.refreshTokens.push(body.refresh_token!);
  }
  if (status === 200 && /auth\/(login|refresh)$/.test(op.path))
    pools.refreshTokens.push(body.refresh_token!);
  if (status === 201 && /\/servers$/.test(op.path)) pools.servers.push(body.id!);
  if (status === 200 && typeof body.next_cursor === "string") pools.cursors.push(body.next_cursor);
  if (status === 201 && /\/api-keys/.test(op.path)) pools.keys.push(body.id!);
  if (status === 202 && op.path.endsWith("/checks")) pools.jobs.push(body.job_id!);
  if (status === 204 && op.method === "DELETE") {
    const pool = poolFor(op.path);
    const id = decodeURIComponent(url.split("?")[0]!.split("/").at(-1)!);
    if (pool.includes(id)) pool.splice(pool.indexOf(id), 1);
  }
  // A generated deny list may cover the fuzzer's own addresses: start clean after each.
  if (op.id === "PUT /api/v2/admin/ip-rules" && status === 200) await saveIpRules(env.CACHE, []);
}

/** Operations whose effect reaches every other request: run alone, after the rest. */
const ALONE = new Set(["PUT /api/v2/admin/ip-rules"]);
/** Requests in flight at once: enough to overlap D1 and Durable Object round trips. */
const LANES = 4;

interface Run {
  tallies: Map<string, Tally>;
  failures: string[];
  acceptedInvalid: string[];
}

async function send(run: Run, op: Operation, p: Planned) {
  const { url, body, headers } = materialise(op, p);
  const credential = credentials[p.credential]!;
  const res = await api(url, {
    method: op.method,
    body,
    headers,
    token: credential.token,
    apiKey: credential.apiKey,
  });
  const tally = run.tallies.get(op.id)!;
  tally.total++;
  tally.kinds[p.kind] = (tally.kinds[p.kind] ?? 0) + 1;
  tally.statuses[res.status] = (tally.statuses[res.status] ?? 0) + 1;
  const shown = body === undefined ? "" : JSON.stringify(body).slice(0, 300);
  const { json, problems } = await judge(op, p, url, res);
  for (const problem of problems)
    run.failures.push(
      `${op.id} [${p.kind}, ${credential.name}] ${op.method} ${url} ${shown}\n  → ${res.status}: ${problem}`,
    );
  if (p.kind.startsWith("invalid") && res.status < 300)
    run.acceptedInvalid.push(`${op.id} [${p.kind}] ${url} ${shown.slice(0, 200)}`);
  await learn(op, url, res.status, json);
}

describe("fuzzing every operation of /openapi.json", () => {
  it("never answers 5xx, an undocumented status, a non-problem error or an off-schema success", async () => {
    const seed = Number(env.FUZZ_SEED || 20261122);
    const doc = await expectStatus<OpenApiDocument>(await api("/openapi.json"), 200);
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(30);
    const run: Run = { tallies: new Map(), failures: [], acceptedInvalid: [] };
    const started = Date.now();
    const queue: [Operation, Planned][] = [];
    const alone: [Operation, Planned][] = [];
    for (const [i, op] of ops.entries()) {
      run.tallies.set(op.id, { total: 0, kinds: {}, statuses: {} });
      const plans = fc.sample(plan(op, credentials.length), {
        numRuns: EXPENSIVE[op.id] ?? PER_OPERATION,
        seed: seed + i,
      });
      for (const p of plans) (ALONE.has(op.id) ? alone : queue).push([op, p]);
    }
    const generated = Date.now() - started;
    await Promise.all(
      Array.from({ length: LANES }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await send(run, ...next);
      }),
    );
    for (const [op, p] of alone) await send(run, op, p);
    report(run, Date.now() - started, generated, seed);
    const sent = [...run.tallies.values()].reduce((n, t) => n + t.total, 0);
    expect(run.failures.slice(0, 25), `${run.failures.length} failures`).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(2000);
  }, 180_000);
});

function report(run: Run, ms: number, generatedMs: number, seed: number) {
  const totals: Record<number, number> = {};
  let sent = 0;
  const lines = [...run.tallies].map(([id, t]) => {
    sent += t.total;
    for (const [s, n] of Object.entries(t.statuses)) totals[+s] = (totals[+s] ?? 0) + n;
    const statuses = Object.entries(t.statuses)
      .map(([s, n]) => `${s}×${n}`)
      .join(" ");
    const valid = t.kinds.valid ?? 0;
    const counts = `${String(t.total).padStart(4)}  valid ${String(valid).padStart(2)}  invalid ${String(t.total - valid).padStart(2)}`;
    return `  ${id.padEnd(36)} ${counts}  ${statuses}`;
  });
  const all = Object.entries(totals)
    .map(([s, n]) => `${s}×${n}`)
    .join(" ");
  console.log(
    [
      `fuzz: ${sent} requests over ${run.tallies.size} operations in ${(ms / 1000).toFixed(1)} s (generation ${(generatedMs / 1000).toFixed(1)} s, seed ${seed})`,
      ...lines,
      `  statuses: ${all}`,
      `  outbound fetches refused: ${outbound.length}`,
      `  accepted although the document refuses them: ${run.acceptedInvalid.length}`,
      ...run.acceptedInvalid.slice(0, 10).map((line) => `    ${line}`),
      `  failures: ${run.failures.length}`,
    ].join("\n"),
  );
}
