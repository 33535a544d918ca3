import {
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../../src/index.ts";
import { uuidv7 } from "../../../src/lib/ids.ts";
import { StatusSchema } from "../../../src/routes/status/schemas.ts";
import { lastDays } from "../../../src/services/status/rollup.ts";
import { fetchWith, throwingD1 } from "../../app/broken-env.ts";
import {
  api,
  expectBody,
  expectProblem,
  expectStatus,
  type Session,
  seedUser,
} from "../../helpers.ts";
import { createServer } from "../servers/fixtures.ts";

let admin: Session;
let operator: Session;
beforeAll(async () => {
  [admin, operator] = await Promise.all([
    seedUser({ role: "admin" }),
    seedUser({ role: "operator" }),
  ]);
});

const XSS = `<img src=x onerror=alert(1)>`;

async function publish(tag: string, display_name?: string) {
  return api(`/api/v2/admin/status-tags/${tag}`, {
    method: "PUT",
    token: admin.access_token,
    body: display_name ? { display_name } : {},
  });
}

async function status() {
  // Past the edge cache: this file checks content, incidents.test.ts the purges.
  return expectBody(await api(`/status.json?fresh=${uuidv7()}`), 200, StatusSchema);
}

describe("GET /status.json", () => {
  it("lists the five components with 90 days each, valid against its documented schema", async () => {
    const s = await status();
    expect(s.components.map((c) => c.id)).toEqual(["api", "database", "cache", "storage", "queue"]);
    for (const c of s.components) {
      expect(c.days).toHaveLength(90);
      expect(c.days.map((d) => d.date)).toEqual(lastDays(Date.parse(s.generated_at), 90));
    }
  });

  it("after a cron run the components are operational with today's checks and latency", async () => {
    const ctx = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() }),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const s = await status();
    for (const c of s.components) {
      expect(c.state, c.id).toBe("operational");
      expect(c.days.at(-1)).toMatchObject({ checks: 1, successes: 1, state: "up" });
      expect(c.uptime_90d).toBe(1);
      expect(c.latency?.p50_ms).toBeTypeOf("number");
    }
    expect(s.state).toBe("operational");
  });

  it("is cached at the edge under the status tag", async () => {
    const a = await api("/status.json");
    expect(a.headers.get("cache-tag")).toBe("status");
    expect(a.headers.get("cache-control")).toBe("public, max-age=30");
  });

  it("answers 503 (not cached) when the database fails", async () => {
    const res = await fetchWith({ DB: throwingD1() }, `/status.json?fresh=${uuidv7()}`);
    await expectProblem(res, 503, "service-unavailable");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("incidents and states", () => {
  it("a critical incident marks its component as an outage until resolved; a minor one changes no state", async () => {
    const post = async (b: Record<string, unknown>) =>
      expectStatus<{ id: string }>(
        await api("/api/v2/admin/incidents", {
          method: "POST",
          token: admin.access_token,
          body: b,
        }),
        201,
      );
    const before = await status();
    const cacheBefore = before.components.find((c) => c.id === "cache")!.state;
    await post({ title: "Slow cache", impact: "minor", component: "cache", message: "Looking." });
    expect((await status()).components.find((c) => c.id === "cache")!.state).toBe(cacheBefore);
    const critical = await post({
      title: "Cache down",
      impact: "critical",
      component: "cache",
      message: "Down.",
    });
    let s = await status();
    expect(s.components.find((c) => c.id === "cache")!.state).toBe("outage");
    expect(s.state).toBe("outage");
    await api(`/api/v2/admin/incidents/${critical.id}/updates`, {
      method: "POST",
      token: admin.access_token,
      body: { status: "resolved", message: "Back." },
    });
    s = await status();
    expect(s.components.find((c) => c.id === "cache")!.state).toBe(cacheBefore);
  });
});

describe("published server tags", () => {
  it("publish (201), rename (200), list, unpublish (204, then 404); admins only; audited", async () => {
    await expectProblem(
      await api("/api/v2/admin/status-tags/pub-a", {
        method: "PUT",
        token: operator.access_token,
        body: {},
      }),
      403,
      "forbidden",
    );
    const created = await expectStatus<{ tag: string; display_name: string }>(
      await publish("pub-a"),
      201,
    );
    expect(created).toMatchObject({ tag: "pub-a", display_name: "pub-a" });
    const renamed = await expectStatus<{ display_name: string }>(
      await publish("pub-a", "Public A"),
      200,
    );
    expect(renamed.display_name).toBe("Public A");
    const list = await expectStatus<{ data: { tag: string }[] }>(
      await api("/api/v2/admin/status-tags", { token: admin.access_token }),
      200,
    );
    expect(list.data.map((t) => t.tag)).toContain("pub-a");
    await expectProblem(await publish("Bad Tag"), 422, "validation");
    // No body at all: the tag is its own display name.
    const bare = await api("/api/v2/admin/status-tags/pub-bare", {
      method: "PUT",
      token: admin.access_token,
    });
    expect((await expectStatus<{ display_name: string }>(bare, 201)).display_name).toBe("pub-bare");
    expect(
      (
        await api("/api/v2/admin/status-tags/pub-bare", {
          method: "DELETE",
          token: admin.access_token,
        })
      ).status,
    ).toBe(204);
    await expectProblem(await publish("pub-b", "x\u202Eevil"), 422, "validation");
    const del = () =>
      api("/api/v2/admin/status-tags/pub-a", { method: "DELETE", token: admin.access_token });
    expect((await del()).status).toBe(204);
    await expectProblem(await del(), 404, "not-found");
    const actions = await env.DB.prepare(
      "select action from audit_logs where resource_type = 'status_tag' and resource_id = 'pub-a' order by seq",
    ).all<{ action: string }>();
    expect(actions.results.map((r) => r.action)).toEqual([
      "status_tag.published",
      "status_tag.renamed",
      "status_tag.unpublished",
    ]);
  });

  it("a published tag shows as a group with its servers' state; unpublished tags never show", async () => {
    const a = await createServer(admin.access_token, { tags: ["grp-1", "private-tag"] });
    await createServer(admin.access_token, { tags: ["grp-1"] });
    await expectStatus(await publish("grp-1", "Group one"), 201);
    let s = await status();
    expect(s.tags.map((t) => t.id)).toEqual(["grp-1"]);
    expect(s.tags[0]).toMatchObject({ name: "Group one", kind: "tag", state: "unknown" });
    expect(JSON.stringify(s)).not.toContain("private-tag");
    await env.DB.prepare("update servers set status = 'up' where tags like '%grp-1%'").run();
    expect((await status()).tags[0]!.state).toBe("operational");
    await env.DB.prepare("update servers set status = 'down' where id = ?").bind(a.id).run();
    s = await status();
    expect(s.tags[0]!.state).toBe("degraded");
    expect(s.state).toBe("degraded");
  });
});

describe("GET /status (HTML)", () => {
  it("renders bars, figures and incidents, escaping every value, with no script", async () => {
    await expectStatus(await publish("html-grp", XSS), 201);
    await expectStatus(
      await api("/api/v2/admin/incidents", {
        method: "POST",
        token: admin.access_token,
        body: { title: XSS, impact: "major", message: `Details: ${XSS}\nSecond line` },
      }),
      201,
    );
    const res = await api(`/status?fresh=${uuidv7()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const page = await res.text();
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<script");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // A row of 90 bars for each component and published group.
    const s = await status();
    expect(page.match(/<li class="day /g)).toHaveLength((s.components.length + s.tags.length) * 90);
    expect(s.tags.map((t) => t.name)).toContain(XSS);
    expect(page).toContain('href="/status/feed.atom"');
  });
});

describe("GET /status/feed.atom", () => {
  it("is well-formed Atom 1.0 with an entry per incident, text escaped", async () => {
    const created = await expectStatus<{ id: string }>(
      await api("/api/v2/admin/incidents", {
        method: "POST",
        token: admin.access_token,
        body: {
          title: `Feed & <check> "1"`,
          impact: "minor",
          component: "queue",
          message: "Jobs wait.",
        },
      }),
      201,
    );
    const res = await api(`/status/feed.atom?fresh=${uuidv7()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
    const xml = await res.text();
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({
      ignoreAttributes: false,
      isArray: (name) => name === "entry" || name === "link",
    }).parse(xml);
    const feed = doc.feed;
    expect(feed["@_xmlns"]).toBe("http://www.w3.org/2005/Atom");
    // RFC 4287 §4.1.1: a feed has an id, a title, updated and an author (or every entry has one).
    expect(feed.id).toBe("https://panel.test/status");
    expect(feed.title).toBeTruthy();
    expect(Number.isNaN(Date.parse(feed.updated))).toBe(false);
    expect(feed.author.name).toBe("edgepanel");
    expect(feed.link.find((l: Record<string, string>) => l["@_rel"] === "self")["@_href"]).toBe(
      "https://panel.test/status/feed.atom",
    );
    const entry = feed.entry.find((e: { id: string }) => e.id.endsWith(created.id));
    expect(entry.title).toBe(`Feed & <check> "1"`);
    expect(Number.isNaN(Date.parse(entry.updated))).toBe(false);
    expect(entry.content["#text"]).toContain("Jobs wait.");
    expect(new Set(feed.entry.map((e: { id: string }) => e.id)).size).toBe(feed.entry.length);
  });
});
