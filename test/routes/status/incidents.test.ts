import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { listOf } from "../../../src/lib/pagination.ts";
import { IncidentSchema, StatusSchema } from "../../../src/routes/status/schemas.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../../helpers.ts";

let admin: Session;
let operator: Session;
let viewer: Session;
beforeAll(async () => {
  [admin, operator, viewer] = await Promise.all([
    seedUser({ role: "admin" }),
    seedUser({ role: "operator" }),
    seedUser({ role: "viewer" }),
  ]);
});

const body = (over: Record<string, unknown> = {}) => ({
  title: "Elevated API error rates",
  impact: "minor",
  component: "api",
  message: "We are investigating elevated error rates.",
  ...over,
});

async function create(over: Record<string, unknown> = {}) {
  const res = await api("/api/v2/admin/incidents", {
    method: "POST",
    token: admin.access_token,
    body: body(over),
  });
  const incident = await expectBody(res, 201, IncidentSchema);
  expect(res.headers.get("location")).toBe(`/api/v2/admin/incidents/${incident.id}`);
  return incident;
}

const audits = (id: string) =>
  env.DB.prepare(
    "select action, actor_id, summary from audit_logs where resource_id = ? order by seq",
  )
    .bind(id)
    .all<{ action: string; actor_id: string; summary: string }>()
    .then((r) => r.results);

describe("incidents API: who may call it", () => {
  const calls = (id: string) =>
    [
      ["POST", "/api/v2/admin/incidents", body()],
      ["GET", "/api/v2/admin/incidents", undefined],
      ["GET", `/api/v2/admin/incidents/${id}`, undefined],
      ["PATCH", `/api/v2/admin/incidents/${id}`, { title: "x" }],
      ["POST", `/api/v2/admin/incidents/${id}/updates`, { message: "x" }],
    ] as const;

  it("anonymous is 401; operators and viewers are 403; nothing is written", async () => {
    const incident = await create();
    for (const [method, path, b] of calls(incident.id)) {
      await expectProblem(await api(path, { method, body: b }), 401, "unauthorized");
      for (const who of [operator, viewer])
        await expectProblem(
          await api(path, { method, body: b, token: who.access_token }),
          403,
          "forbidden",
        );
    }
    const got = await expectBody(
      await api(`/api/v2/admin/incidents/${incident.id}`, { token: admin.access_token }),
      200,
      IncidentSchema,
    );
    expect(got).toEqual(incident);
  });
});

describe("POST /api/v2/admin/incidents", () => {
  it("creates an incident with its first update and an audit entry", async () => {
    const incident = await create({ status: "identified", impact: "major" });
    expect(incident).toMatchObject({
      source: "manual",
      title: "Elevated API error rates",
      status: "identified",
      impact: "major",
      component: "api",
      tag: null,
      resolved_at: null,
    });
    expect(incident.updates).toEqual([
      expect.objectContaining({
        status: "identified",
        message: "We are investigating elevated error rates.",
      }),
    ]);
    const entries = await audits(incident.id);
    expect(entries.map((e) => e.action)).toEqual(["incident.created"]);
    expect(entries[0]!.actor_id).toBe(admin.user.id);
    expect(JSON.parse(entries[0]!.summary)).toMatchObject({
      status: "identified",
      impact: "major",
    });
  });

  it("defaults the status to investigating", async () => {
    expect((await create({ component: undefined })).status).toBe("investigating");
  });

  it.each([
    ["a missing title", { title: undefined }, "title"],
    ["a blank title", { title: "   " }, "title"],
    ["a title with control characters", { title: "a\u0000b" }, "title"],
    ["a missing message", { message: undefined }, "message"],
    ["an unknown impact", { impact: "huge" }, "impact"],
    ["an impact of the wrong type", { impact: 3 }, "impact"],
    ["an unknown status", { status: "fixed" }, "status"],
    ["an unknown component", { component: "dns" }, "component"],
    ["a malformed tag", { tag: "Not A Tag" }, "tag"],
    ["an unknown field", { severity: "high" }, ""],
  ])("refuses %s with 422", async (_, over, path) => {
    const p = await expectProblem(
      await api("/api/v2/admin/incidents", {
        method: "POST",
        token: admin.access_token,
        body: body(over),
      }),
      422,
      "validation",
    );
    if (path) expect((p.errors ?? []).map((e) => e.path)).toContain(path);
  });

  it("refuses a tag not published on the page with 409, and accepts it once published", async () => {
    await expectProblem(
      await api("/api/v2/admin/incidents", {
        method: "POST",
        token: admin.access_token,
        body: body({ component: null, tag: "inc-tag" }),
      }),
      409,
      "conflict",
    );
    await expectStatus(
      await api("/api/v2/admin/status-tags/inc-tag", {
        method: "PUT",
        token: admin.access_token,
        body: {},
      }),
      201,
    );
    expect((await create({ component: null, tag: "inc-tag" })).tag).toBe("inc-tag");
  });
});

describe("updates and resolution", () => {
  it("posts updates newest first, resolves, and audits each", async () => {
    const incident = await create();
    const post = (b: Record<string, unknown>) =>
      api(`/api/v2/admin/incidents/${incident.id}/updates`, {
        method: "POST",
        token: admin.access_token,
        body: b,
      });
    const identified = await expectBody(
      await post({ status: "identified", message: "A bad deploy." }),
      201,
      IncidentSchema,
    );
    expect(identified.status).toBe("identified");
    // Without a status: the message only.
    const note = await expectBody(await post({ message: "Rolling back." }), 201, IncidentSchema);
    expect(note.status).toBe("identified");
    const resolved = await expectBody(
      await post({ status: "resolved", message: "Fixed." }),
      201,
      IncidentSchema,
    );
    expect(resolved.status).toBe("resolved");
    expect(resolved.resolved_at).not.toBeNull();
    expect(resolved.updates.map((u) => u.message)).toEqual([
      "Fixed.",
      "Rolling back.",
      "A bad deploy.",
      "We are investigating elevated error rates.",
    ]);
    // Reopening clears resolved_at.
    const reopened = await expectBody(
      await post({ status: "monitoring", message: "Seen again." }),
      201,
      IncidentSchema,
    );
    expect(reopened.resolved_at).toBeNull();
    expect((await audits(incident.id)).map((e) => e.action)).toEqual([
      "incident.created",
      "incident.update_posted",
      "incident.update_posted",
      "incident.update_posted",
      "incident.update_posted",
    ]);
  });

  it("keeps every update when several are posted at once", async () => {
    const incident = await create();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        api(`/api/v2/admin/incidents/${incident.id}/updates`, {
          method: "POST",
          token: admin.access_token,
          body: { message: `update ${i}` },
        }),
      ),
    );
    for (const r of results) await expectBody(r, 201, IncidentSchema);
    const got = await expectBody(
      await api(`/api/v2/admin/incidents/${incident.id}`, { token: admin.access_token }),
      200,
      IncidentSchema,
    );
    expect(got.updates).toHaveLength(6);
    expect(
      (await audits(incident.id)).filter((a) => a.action === "incident.update_posted"),
    ).toHaveLength(5);
  });

  it("PATCH changes fields and audits before and after; empty, unknown or wrong bodies are 422", async () => {
    const incident = await create();
    const path = `/api/v2/admin/incidents/${incident.id}`;
    const changed = await expectBody(
      await api(path, {
        method: "PATCH",
        token: admin.access_token,
        body: { title: "API errors", impact: "major" },
      }),
      200,
      IncidentSchema,
    );
    expect(changed).toMatchObject({
      title: "API errors",
      impact: "major",
      status: "investigating",
    });
    expect(changed.updates).toHaveLength(1);
    const audit = (await audits(incident.id)).at(-1)!;
    expect(audit.action).toBe("incident.updated");
    expect(JSON.parse(audit.summary)).toEqual({
      before: { title: "Elevated API error rates", impact: "minor" },
      after: { title: "API errors", impact: "major" },
    });
    for (const b of [{}, { status: "resolved" }, { impact: null }, { title: 5 }])
      await expectProblem(
        await api(path, { method: "PATCH", token: admin.access_token, body: b }),
        422,
        "validation",
      );
  });

  it("an unknown incident is 404 for every operation", async () => {
    const path = "/api/v2/admin/incidents/01936f3e-0000-7000-8000-000000000000";
    await expectProblem(await api(path, { token: admin.access_token }), 404, "not-found");
    await expectProblem(
      await api(path, { method: "PATCH", token: admin.access_token, body: { title: "x" } }),
      404,
      "not-found",
    );
    await expectProblem(
      await api(`${path}/updates`, {
        method: "POST",
        token: admin.access_token,
        body: { message: "x" },
      }),
      404,
      "not-found",
    );
  });
});

describe("GET /api/v2/admin/incidents", () => {
  it("lists newest first, filters by status and pages with a cursor", async () => {
    const a = await create({ title: "list a" });
    const b = await create({ title: "list b" });
    await api(`/api/v2/admin/incidents/${a.id}/updates`, {
      method: "POST",
      token: admin.access_token,
      body: { status: "resolved", message: "done" },
    });
    const List = listOf(IncidentSchema, "IncidentList");
    const open = await expectBody(
      await api("/api/v2/admin/incidents?status=open&limit=100", { token: admin.access_token }),
      200,
      List,
    );
    expect(open.data.map((i) => i.id)).toContain(b.id);
    expect(open.data.map((i) => i.id)).not.toContain(a.id);
    const first = await expectBody(
      await api("/api/v2/admin/incidents?limit=1", { token: admin.access_token }),
      200,
      List,
    );
    expect(first.data[0]!.id).toBe(b.id);
    const second = await expectBody(
      await api(`/api/v2/admin/incidents?limit=1&cursor=${first.next_cursor}`, {
        token: admin.access_token,
      }),
      200,
      List,
    );
    expect(second.data[0]!.id).toBe(a.id);
    await expectProblem(
      await api(`/api/v2/admin/incidents?status=resolved&cursor=${first.next_cursor}`, {
        token: admin.access_token,
      }),
      400,
      "bad-request",
    );
  });
});

/** /status.json once the purge (finished in the background) has dropped the cached copy. */
async function freshStatus() {
  for (let i = 0; i < 30; i++) {
    const res = await api("/status.json");
    if (res.headers.get("x-cache") === "MISS") return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("/status.json was not purged within 3 s");
}

describe("the status page follows incidents", () => {
  it("a new incident purges the cached /status.json and shows as active, then as recent once resolved", async () => {
    await api("/status.json");
    await new Promise((r) => setTimeout(r, 50));
    expect((await api("/status.json")).headers.get("x-cache")).toBe("HIT");
    const incident = await create({ title: "Purge check" });
    let res = await freshStatus();
    let status = await expectBody(res, 200, StatusSchema);
    expect(status.incidents.active.map((i) => i.id)).toContain(incident.id);
    await api(`/api/v2/admin/incidents/${incident.id}/updates`, {
      method: "POST",
      token: admin.access_token,
      body: { status: "resolved", message: "All good." },
    });
    res = await freshStatus();
    status = await expectBody(res, 200, StatusSchema);
    expect(status.incidents.active.map((i) => i.id)).not.toContain(incident.id);
    expect(status.incidents.recent[0]).toMatchObject({ id: incident.id, status: "resolved" });
  });
});
