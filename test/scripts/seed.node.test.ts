import { describe, expect, it } from "vitest";
import {
  countWritten,
  DEMO_USERS,
  demoHealthUrl,
  SERVERS_PER_OWNER,
  seedStatements,
  seedSummary,
  tagBumps,
} from "../../scripts/seed.ts";

const statements = await seedStatements("a-demo-password", 8899);

describe("seed: demo health checks follow the dev server's port", () => {
  it("points the demo web servers at the port it is given, never at 8787", () => {
    const sql = statements.map((s) => s.sql).join("\n");
    expect(sql).toContain("'http://127.0.0.1:8899/health/live'");
    expect(sql).not.toContain(":8787");
  });

  it("moves demo servers seeded for another port, and only demo servers", () => {
    const update = statements.find((s) => s.kind === "health_check_url")!;
    expect(update.sql).toMatch(
      /^UPDATE servers SET health_check_url = 'http:\/\/127\.0\.0\.1:8899\/health\/live'/,
    );
    expect(update.sql).toContain("host = name || '.demo.invalid'");
  });
});

describe("seed: the summary counts what was really written", () => {
  const none = statements.map(() => ({ results: [] }));

  it("an already seeded database: nothing inserted, and it says so", () => {
    const counts = countWritten(statements, none);
    expect(counts).toEqual({ user: 0, server: 0, health_check_url: 0 });
    expect(seedSummary(counts, 8899)).toBe(
      `demo data already in the local D1: nothing inserted (demo health checks: ${demoHealthUrl(8899)})`,
    );
  });

  it("a fresh database: every user and server, counted from the rows returned", () => {
    const all = statements.map((s) => ({
      results: s.kind === "health_check_url" ? [] : [{ id: "x" }],
    }));
    const counts = countWritten(statements, all);
    expect(counts).toEqual({
      user: DEMO_USERS.length,
      server: 3 * SERVERS_PER_OWNER,
      health_check_url: 0,
    });
    expect(seedSummary(counts, 8899)).toMatch(
      /^seeded 5 demo users and 360 demo servers into the local D1; password: SEED_ADMIN_PASSWORD/,
    );
  });

  it("a database seeded for another port: nothing inserted, health checks moved", () => {
    const moved = statements.map((s) => ({
      results: s.kind === "health_check_url" ? Array.from({ length: 60 }, () => ({ id: "x" })) : [],
    }));
    expect(seedSummary(countWritten(statements, moved), 8899)).toBe(
      `demo data already in the local D1: nothing inserted; 60 demo health checks moved to port 8899 (demo health checks: ${demoHealthUrl(8899)})`,
    );
  });

  it("refuses results that do not line up with the statements", () => {
    expect(() => countWritten(statements, none.slice(1))).toThrow(/statement results/);
  });
});

describe("seed: moved demo servers are not served from the cache", () => {
  it("bumps the cache tags of every moved server, its owner's lists and the global list", () => {
    const results = statements.map((s) => ({
      results:
        s.kind === "health_check_url"
          ? [
              { id: "s1", owner_id: "o1" },
              { id: "s2", owner_id: "o1" },
            ]
          : [{ id: "x" }],
    }));
    const keys = tagBumps(statements, results).map((b) => b.key);
    expect(keys.sort()).toEqual(
      ["tagv:server:s1", "tagv:server:s2", "tagv:servers:all", "tagv:servers:owner:o1"].sort(),
    );
    expect(
      tagBumps(
        statements,
        statements.map(() => ({ results: [] })),
      ),
    ).toEqual([]);
  });
});
