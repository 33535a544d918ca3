/**
 * Idempotent demo data for local development: `npm run dev` runs it before
 * `wrangler dev`. It writes SQL and applies it with `wrangler d1 execute --local`,
 * so it can only ever touch the local D1 (never staging or production).
 *
 *   npm run seed                    # seed the local D1 (demo health checks on port 8787)
 *   npm run seed -- --port 8899     # for a dev server on another port (npm run dev passes its own)
 *   npm run seed -- --print         # print the SQL instead
 *
 * Every statement returns the rows it wrote (`RETURNING`), so the summary counts what
 * was really inserted, not what was attempted.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DEVELOPMENT_DEFAULTS } from "../src/env.ts";
import { uuidv7 } from "../src/lib/ids.ts";
import { hashPassword } from "../src/lib/password.ts";
import { serverTags } from "../src/services/servers/servers.ts";
import { DEFAULT_DEV_PORT, portArgument } from "./dev.ts";

/** Reads KEY=value pairs from .dev.vars when present (wrangler's own file). */
function devVars(): Record<string, string> {
  if (!existsSync(".dev.vars")) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(".dev.vars", "utf8").split("\n")) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const q = (v: string | null) => (v === null ? "NULL" : `'${v.replaceAll("'", "''")}'`);

export const DEMO_USERS = [
  { email: "admin@example.com", name: "Ada Admin", role: "admin" },
  { email: "operator@example.com", name: "Otto Operator", role: "operator" },
  { email: "operator2@example.com", name: "Olga Operator", role: "operator" },
  { email: "viewer@example.com", name: "Vera Viewer", role: "viewer" },
  { email: "viewer2@example.com", name: "Victor Viewer", role: "viewer" },
] as const;

const REGIONS = ["eu-west", "eu-central", "us-east", "us-west", "ap-south"];
const ROLES = ["web", "api", "db", "cache", "queue", "worker"];
const ENVIRONMENTS = ["production", "staging", "development"];
const STATUSES = ["up", "up", "up", "degraded", "down", "unknown"];
const SERVER_OWNERS = ["admin@example.com", "operator@example.com", "operator2@example.com"];
export const SERVERS_PER_OWNER = 120;

/** The liveness URL of the local dev server on `port`: demo web servers probe it and come back "up". */
export const demoHealthUrl = (port: number) => `http://127.0.0.1:${port}/health/live`;

/** What a seed statement writes; its returned rows are counted under this. */
export type SeedKind = "user" | "server" | "health_check_url";

export interface SeedStatement {
  kind: SeedKind;
  sql: string;
}

// A demo server is recognisable: its host is `<name>.demo.invalid` (a reserved TLD).
const DEMO_SERVER = "host = name || '.demo.invalid'";
const DEMO_HEALTH_URL = "health_check_url GLOB 'http://127.0.0.1:*/health/live'";

/** Deterministic demo servers: the same names every run, so re-seeding adds nothing. */
function serverStatements(now: string, port: number): SeedStatement[] {
  const statements: SeedStatement[] = [];
  for (const owner of SERVER_OWNERS) {
    for (let i = 0; i < SERVERS_PER_OWNER; i++) {
      const role = ROLES[i % ROLES.length]!;
      const region = REGIONS[Math.floor(i / ROLES.length) % REGIONS.length]!;
      const name = `${role}-${region}-${String(i).padStart(3, "0")}`;
      const env = ENVIRONMENTS[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0]!;
      const tags = JSON.stringify([region, role, ...(i % 4 === 0 ? ["critical"] : [])]);
      const serverPort = role === "db" ? 5432 : role === "cache" ? 6379 : 443;
      // Web servers point at this dev server's own liveness route, so local probes come back
      // "up"; api servers at a name that never resolves, so they show "down".
      const health =
        role === "web"
          ? demoHealthUrl(port)
          : role === "api"
            ? `https://${name}.demo.invalid/healthz`
            : null;
      statements.push({
        kind: "server",
        sql: `INSERT OR IGNORE INTO servers (id, owner_id, name, host, port, environment, tags, status, health_check_url, version, created_at, updated_at) SELECT ${q(uuidv7())}, id, ${q(name)}, ${q(`${name}.demo.invalid`)}, ${serverPort}, ${q(env)}, ${q(tags)}, ${q(STATUSES[i % STATUSES.length]!)}, ${q(health)}, 1, ${q(now)}, ${q(now)} FROM users WHERE email = ${q(owner)} RETURNING id;`,
      });
    }
  }
  // Demo servers seeded for another port follow the dev server to this one.
  statements.push({
    kind: "health_check_url",
    sql: `UPDATE servers SET health_check_url = ${q(demoHealthUrl(port))}, version = version + 1, updated_at = ${q(now)} WHERE ${DEMO_SERVER} AND ${DEMO_HEALTH_URL} AND health_check_url <> ${q(demoHealthUrl(port))} RETURNING id, owner_id;`,
  });
  return statements;
}

/** The seed, statement by statement, for demo health checks on `port`. */
export async function seedStatements(password: string, port: number): Promise<SeedStatement[]> {
  const now = new Date().toISOString();
  const statements: SeedStatement[] = [];
  for (const user of DEMO_USERS) {
    const hash = await hashPassword(password);
    statements.push({
      kind: "user",
      sql: `INSERT INTO users (id, email, name, role, password_hash, email_verified_at, created_at, updated_at) VALUES (${q(uuidv7())}, ${q(user.email)}, ${q(user.name)}, ${q(user.role)}, ${q(hash)}, ${q(now)}, ${q(now)}, ${q(now)}) ON CONFLICT(email) DO NOTHING RETURNING id;`,
    });
  }
  statements.push(...serverStatements(now, port));
  return statements;
}

export const seedSql = (statements: readonly SeedStatement[]) =>
  `${statements.map((s) => s.sql).join("\n")}\n`;

/**
 * Rows each kind of statement really wrote, from `wrangler d1 execute --json`'s
 * per-statement results (in statement order).
 */
export function countWritten(
  statements: readonly SeedStatement[],
  results: readonly { results?: readonly unknown[] }[],
): Record<SeedKind, number> {
  if (results.length !== statements.length)
    throw new Error(`expected ${statements.length} statement results, got ${results.length}`);
  const counts: Record<SeedKind, number> = { user: 0, server: 0, health_check_url: 0 };
  statements.forEach((s, i) => {
    counts[s.kind] += results[i]!.results?.length ?? 0;
  });
  return counts;
}

/**
 * The cache tag versions to publish after servers changed behind the API's back (the
 * seed writes D1 directly): `tagv:<tag>` entries with a fresh version, as a write
 * through the API would bump them, so no cached list or server shows the old URL.
 */
export function tagBumps(
  statements: readonly SeedStatement[],
  results: readonly { results?: readonly unknown[] }[],
): { key: string; value: string }[] {
  const version = `seed${Date.now().toString(36)}`;
  const tags = new Set<string>();
  statements.forEach((s, i) => {
    if (s.kind !== "health_check_url") return;
    for (const row of (results[i]!.results ?? []) as { id: string; owner_id: string }[])
      for (const tag of serverTags(row.owner_id, row.id)) tags.add(tag);
  });
  return [...tags].map((tag) => ({ key: `tagv:${tag}`, value: version }));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What the seed did, in one line: only what was really written. */
export function seedSummary(counts: Record<SeedKind, number>, port: number): string {
  const inserted = [
    counts.user && plural(counts.user, "demo user"),
    counts.server && plural(counts.server, "demo server"),
  ].filter(Boolean);
  const parts = [
    inserted.length
      ? `seeded ${inserted.join(" and ")} into the local D1`
      : "demo data already in the local D1: nothing inserted",
  ];
  if (counts.user) parts.push("password: SEED_ADMIN_PASSWORD");
  if (counts.health_check_url)
    parts.push(`${plural(counts.health_check_url, "demo health check")} moved to port ${port}`);
  return `${parts.join("; ")} (demo health checks: ${demoHealthUrl(port)})`;
}

async function main() {
  const password =
    process.env.SEED_ADMIN_PASSWORD ??
    devVars().SEED_ADMIN_PASSWORD ??
    DEVELOPMENT_DEFAULTS.SEED_ADMIN_PASSWORD;
  const port = portArgument(process.argv.slice(2)) ?? DEFAULT_DEV_PORT;
  const statements = await seedStatements(password, port);
  const sql = seedSql(statements);
  if (process.argv.includes("--print")) {
    process.stdout.write(sql);
    return;
  }
  const file = join(mkdtempSync(join(tmpdir(), "edgepanel-seed-")), "seed.sql");
  writeFileSync(file, sql);
  const out = execFileSync(
    "wrangler",
    ["d1", "execute", "DB", "--local", "--json", `--file=${file}`],
    { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const results = JSON.parse(out.slice(out.indexOf("["))) as { results?: unknown[] }[];
  const bumps = tagBumps(statements, results);
  if (bumps.length) {
    const bumpFile = join(dirname(file), "tag-bumps.json");
    writeFileSync(bumpFile, JSON.stringify(bumps));
    execFileSync("wrangler", ["kv", "bulk", "put", bumpFile, "--binding", "CACHE", "--local"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  console.log(seedSummary(countWritten(statements, results), port));
}

if (import.meta.main) await main();
