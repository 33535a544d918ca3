import { env } from "cloudflare:workers";
import type { z } from "@hono/zod-openapi";
import { beforeAll, describe, expect, it } from "vitest";
import { getDatabase } from "../../../src/db/client.ts";
import { encodeCursor } from "../../../src/lib/cursor.ts";
import { nowIso, uuidv7 } from "../../../src/lib/ids.ts";
import { type ServerDto, ServerListSchema } from "../../../src/routes/servers/schemas.ts";
import {
  type ListOptions,
  listServersQuery,
  type ServerFilters,
  SORTS,
} from "../../../src/services/servers/servers.ts";
import { api, expectBody, expectProblem, type Session, seedUser } from "../../helpers.ts";
import { createServer } from "./fixtures.ts";

type ServerList = z.infer<typeof ServerListSchema>;

let owner: Session;
const ENVS = ["production", "staging", "development"];
const STATUSES = ["unknown", "up", "degraded", "down"];

/** Seeds rows directly (one batch), with distinct names and created_at values. */
async function seed(ownerId: string, count: number, prefix: string) {
  const start = Date.now() - count * 1000;
  const stmts = Array.from({ length: count }, (_, i) =>
    env.DB.prepare(
      "insert into servers (id, owner_id, name, host, port, environment, tags, status, version, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
    ).bind(
      uuidv7(),
      ownerId,
      `${prefix}-${String((i * 7919) % count).padStart(4, "0")}`,
      `h${i}.example.com`,
      22,
      ENVS[i % 3],
      JSON.stringify(i % 5 === 0 ? ["db", "eu"] : ["web"]),
      STATUSES[i % 4],
      nowIso(start + i * 1000),
      nowIso(start + i * 1000),
    ),
  );
  await env.DB.batch(stmts);
}

beforeAll(async () => {
  owner = await seedUser({ role: "operator" });
  await seed(owner.user.id, 250, "node");
});

describe("keyset pagination", () => {
  it.each(["name", "-name", "created_at", "-created_at"])(
    "sort=%s visits each of 250 rows exactly once while rows are inserted between pages",
    async (sort) => {
      const seen = new Map<string, number>();
      const originals = new Set(
        (
          await env.DB.prepare("select id from servers where owner_id = ?")
            .bind(owner.user.id)
            .all<{ id: string }>()
        ).results.map((r) => r.id),
      );
      let cursor: string | null = null;
      let previous: ServerDto | undefined;
      let pages = 0;
      do {
        const page: ServerList = await expectBody(
          await api(`/api/v2/servers?limit=37&sort=${sort}${cursor ? `&cursor=${cursor}` : ""}`, {
            token: owner.access_token,
          }),
          200,
          ServerListSchema,
        );
        for (const s of page.data) {
          seen.set(s.id, (seen.get(s.id) ?? 0) + 1);
          if (previous) {
            const key = sort.includes("name") ? "name" : "created_at";
            const cmp = previous[key] < s[key] ? -1 : previous[key] > s[key] ? 1 : 0;
            expect(sort.startsWith("-") ? cmp >= 0 : cmp <= 0).toBe(true);
          }
          previous = s;
        }
        cursor = page.next_cursor;
        // A concurrent writer adds a row between every page.
        await createServer(owner.access_token, { name: `late-${sort}-${pages++}` });
      } while (cursor);
      for (const id of originals) expect(seen.get(id), id).toBe(1);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
    },
  );

  it("a cursor from another sort, a tampered cursor and garbage are 400", async () => {
    const page: ServerList = await expectBody(
      await api("/api/v2/servers?limit=5&sort=name", { token: owner.access_token }),
      200,
      ServerListSchema,
    );
    await expectProblem(
      await api(`/api/v2/servers?limit=5&sort=-created_at&cursor=${page.next_cursor}`, {
        token: owner.access_token,
      }),
      400,
      "bad-request",
    );
    const tampered = encodeCursor({ s: "name", k: ["x"] });
    await expectProblem(
      await api(`/api/v2/servers?sort=name&cursor=${tampered}`, { token: owner.access_token }),
      400,
    );
    await expectProblem(
      await api("/api/v2/servers?cursor=%E2%9C%93not-base64", { token: owner.access_token }),
      400,
    );
  });

  it("limit defaults to 20 and must be 1..100", async () => {
    const page: ServerList = await expectBody(
      await api("/api/v2/servers", { token: owner.access_token }),
      200,
      ServerListSchema,
    );
    expect(page.data).toHaveLength(20);
    for (const bad of ["0", "101", "abc", "1.5"]) {
      const body = await expectProblem(
        await api(`/api/v2/servers?limit=${bad}`, { token: owner.access_token }),
        422,
      );
      expect(body.errors![0]!.path).toBe("query.limit");
    }
    await expectProblem(await api("/api/v2/servers?sort=port", { token: owner.access_token }), 422);
  });
});

describe("filters", () => {
  const all = async (query: string) => {
    const out: ServerDto[] = [];
    let cursor: string | null = null;
    do {
      const page: ServerList = await expectBody(
        await api(`/api/v2/servers?limit=100&${query}${cursor ? `&cursor=${cursor}` : ""}`, {
          token: owner.access_token,
        }),
        200,
        ServerListSchema,
      );
      out.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  };

  it("environment, status, tag and q filter exactly", async () => {
    const staging = await all("environment=staging&sort=name");
    expect(staging.length).toBeGreaterThan(50);
    expect(staging.every((s) => s.environment === "staging")).toBe(true);
    const down = await all("status=down");
    expect(down.every((s) => s.status === "down")).toBe(true);
    const db = await all("tag=db");
    expect(db.length).toBe(50);
    expect(db.every((s) => s.tags.includes("db"))).toBe(true);
    const q = await all("q=H12.EXAMPLE");
    expect(q.length).toBeGreaterThan(0);
    expect(q.every((s) => s.host.includes("h12.example"))).toBe(true);
    const combined = await all("environment=production&tag=db&status=unknown");
    expect(
      combined.every(
        (s) => s.environment === "production" && s.tags.includes("db") && s.status === "unknown",
      ),
    ).toBe(true);
  });
});

describe("query plans (EXPLAIN of the exact SQL the service runs)", () => {
  const explain = async (scope: { ownerId: string | null }, options: ListOptions) => {
    const q = listServersQuery(getDatabase(env), scope, options).toSQL();
    const rows = await env.DB.prepare(`explain query plan ${q.sql}`)
      .bind(...q.params)
      .all<{ detail: string }>();
    return rows.results.map((r) => r.detail).join(" | ");
  };
  const filterSets: ServerFilters[] = [
    {},
    { environment: "staging" },
    { status: "up" },
    { tag: "db" },
    { q: "web" },
    { environment: "production", tag: "db", status: "down", q: "h1" },
  ];

  it.each(SORTS)(
    "sort=%s: every filter set seeks the sort's index and never sorts in a temp b-tree",
    async (sort) => {
      const column = sort.replace("-", "") === "name" ? "name" : "created";
      for (const filters of filterSets) {
        for (const after of [undefined, ["m", "0"] as [string, string]]) {
          const owned = await explain({ ownerId: "someone" }, { filters, sort, limit: 20, after });
          expect(owned, JSON.stringify(filters)).toMatch(
            new RegExp(`SEARCH servers USING INDEX servers_owner_${column}_idx`),
          );
          expect(owned).not.toContain("TEMP B-TREE");
          const admin = await explain({ ownerId: null }, { filters, sort, limit: 20, after });
          expect(admin, JSON.stringify(filters)).toMatch(
            new RegExp(`USING (COVERING )?INDEX servers_${column}_idx`),
          );
          expect(admin).not.toContain("TEMP B-TREE");
          if (after) expect(admin).toContain("SEARCH servers");
        }
      }
    },
  );
});
