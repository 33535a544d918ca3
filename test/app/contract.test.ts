import { describe, expect, it } from "vitest";
import { api, createKey, expectStatus, register } from "../helpers.ts";
import { fetchWith } from "./broken-env.ts";
import {
  type Contract,
  contractFrom,
  drain,
  type OpenApiDocument,
  record,
  recorded,
  skipContractCheck,
} from "./contract.ts";

const contract = async (): Promise<Contract> =>
  contractFrom(await expectStatus<OpenApiDocument>(await api("/openapi.json"), 200));

const json = (body: unknown, status = 200, type = "application/json") =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": type } });

const problem = (status: number, extra: Record<string, unknown> = {}) =>
  json(
    {
      type: "/problems/not-found",
      title: "Not found",
      status,
      detail: "No server with that id",
      instance: "/api/v2/servers/x",
      request_id: "r-1",
      ...extra,
    },
    status,
    "application/problem+json",
  );

const SERVER = "https://panel.test/api/v2/servers/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

// The checker the whole suite runs behind (test/setup.ts), shown failing on
// responses that break the document in each way it looks for.
describe("response contract checker", () => {
  it("accepts what the Worker really answers", async () => {
    const c = await contract();
    const s = await register();
    const me = await api("/api/v2/auth/me", { token: s.access_token });
    expect(await c.check("GET", "https://panel.test/api/v2/auth/me", me)).toEqual([]);
    const missing = await api("/api/v2/nope");
    expect(await c.check("GET", "https://panel.test/api/v2/nope", missing)).toEqual([]);
  });

  it("names route, status and schema error for a body off its schema", async () => {
    const c = await contract();
    const errors = await c.check("GET", SERVER, json({ id: 42, name: ["not", "a", "name"] }));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join("\n")).toMatch(
      /^GET \/api\/v2\/servers\/\{id\} → 200 application\/json: at /,
    );
    expect(errors.join("\n")).toMatch(/required property "host"/);
  });

  it("refuses members the document does not declare, except on problems", async () => {
    const c = await contract();
    const s = await register();
    const me = await expectStatus<Record<string, unknown>>(
      await api("/api/v2/auth/me", { token: s.access_token }),
      200,
    );
    const extra = json({ ...me, password_hash: "x" });
    expect(await c.check("GET", "https://panel.test/api/v2/auth/me", extra)).toEqual([
      expect.stringMatching(
        /→ 200 application\/json: at #\/password_hash .*a member the schema does not declare/,
      ),
    ]);
    expect(await c.check("GET", SERVER, problem(404, { retry_hint: "later" }))).toEqual([]);
    // A composition (an API key with its secret) is closed as a whole, not part by part.
    const created = await createKey(s.access_token);
    const rotated = await api(`/api/v2/api-keys/${created.id}/rotate`, {
      method: "POST",
      token: s.access_token,
    });
    const body = await expectStatus<Record<string, unknown>>(rotated, 201);
    const rotateUrl = `https://panel.test/api/v2/api-keys/${created.id}/rotate`;
    expect(await c.check("POST", rotateUrl, json(body, 201))).toEqual([]);
    expect(await c.check("POST", rotateUrl, json({ ...body, debug: 1 }, 201))).toEqual([
      expect.stringMatching(/at #\/debug .*a member the schema does not declare/),
    ]);
  });

  it("refuses an undocumented status, content type, or problem status", async () => {
    const c = await contract();
    expect(await c.check("GET", SERVER, json({}, 418))).toEqual([
      expect.stringMatching(/^GET \/api\/v2\/servers\/\{id\} → 418: status not documented/),
    ]);
    const text = new Response("ok", { headers: { "content-type": "text/plain" } });
    expect(await c.check("GET", SERVER, text)).toEqual([
      expect.stringMatching(/→ 200: content type text\/plain is not documented/),
    ]);
    expect(await c.check("GET", SERVER, problem(404, { status: 400 }))).toEqual([
      expect.stringMatching(/→ 404 application\/problem\+json: problem status 400 ≠ HTTP 404/),
    ]);
    expect(await c.check("GET", SERVER, problem(404, { title: 7 }))).toEqual([
      expect.stringMatching(/at #\/title .*string/),
    ]);
  });

  it("refuses a body where none is documented, and paths no operation has", async () => {
    const c = await contract();
    const redirect = new Response("{}", {
      status: 302,
      headers: { "content-type": "application/json", location: "https://accounts.example/" },
    });
    expect(await c.check("GET", "https://panel.test/api/v2/auth/oauth/github", redirect)).toEqual([
      expect.stringMatching(/oauth\/\{provider\} → 302: documented without a body/),
    ]);
    expect(await c.check("GET", "https://panel.test/api/v2/secret", json({ ok: true }))).toEqual([
      expect.stringMatching(/no operation documents this path/),
    ]);
    expect(await c.check("PUT", SERVER, problem(404))).toEqual([
      expect.stringMatching(/^PUT \/api\/v2\/servers\/\{id\} → 404: no such operation/),
    ]);
  });

  it("reads compressed bodies as the client does", async () => {
    const c = await contract();
    const gzipped = new Response(
      new Response(JSON.stringify({ id: 1 })).body!.pipeThrough(new CompressionStream("gzip")),
      { headers: { "content-type": "application/json", "content-encoding": "gzip" } },
    );
    const errors = (await c.check("GET", SERVER, gzipped)).join("\n");
    expect(errors).toMatch(/→ 200 application\/json: at # .*required property "name"/);
    expect(errors).not.toMatch(/not JSON/);
  });

  it("is wired into the suite: every way tests call the Worker records, a mismatch fails", async () => {
    const before = recorded.count;
    await api("/health/live");
    await fetchWith({}, "/health/live");
    expect(recorded.count).toBe(before + 2);
    expect(await drain()).toEqual([]);
    const wrong = json({ id: 42 });
    record({
      method: "GET",
      url: SERVER,
      status: 200,
      headers: wrong.headers,
      body: await wrong.arrayBuffer(),
    });
    const mismatches = await drain();
    expect(mismatches.join("\n")).toMatch(
      /^GET \/api\/v2\/servers\/\{id\} → 200 application\/json/,
    );
  });

  it("lets a test opt out, with a reason, for itself only", async () => {
    expect(() => skipContractCheck(" ")).toThrow(/reason/);
    skipContractCheck("this test records a wrong response on purpose");
    const wrong = json({ id: 42 });
    const recordWrong = async () =>
      record({
        method: "GET",
        url: SERVER,
        status: 200,
        headers: wrong.headers,
        body: await wrong.clone().arrayBuffer(),
      });
    await recordWrong();
    expect(await drain()).toEqual([]);
    // The opt-out ends with the test (drain lifts it): the next one is checked again.
    await recordWrong();
    expect((await drain()).join("\n")).toMatch(/^GET \/api\/v2\/servers\/\{id\} → 200/);
  });
});
