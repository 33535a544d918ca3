/**
 * Idempotent demo data for local development: `npm run dev` runs it before
 * `wrangler dev`. It writes SQL and applies it with `wrangler d1 execute --local`,
 * so it can only ever touch the local D1 (never staging or production).
 *
 *   node scripts/seed.ts            # seed the local D1
 *   node scripts/seed.ts --print    # print the SQL instead
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEVELOPMENT_DEFAULTS } from "../src/env.ts";
import { uuidv7 } from "../src/lib/ids.ts";
import { hashPassword } from "../src/lib/password.ts";

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

/** Deterministic demo servers: the same names every run, so re-seeding adds nothing. */
function serverRows(now: string): string[] {
  const lines: string[] = [];
  for (const owner of SERVER_OWNERS) {
    for (let i = 0; i < SERVERS_PER_OWNER; i++) {
      const role = ROLES[i % ROLES.length]!;
      const region = REGIONS[Math.floor(i / ROLES.length) % REGIONS.length]!;
      const name = `${role}-${region}-${String(i).padStart(3, "0")}`;
      const env = ENVIRONMENTS[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0]!;
      const tags = JSON.stringify([region, role, ...(i % 4 === 0 ? ["critical"] : [])]);
      const port = role === "db" ? 5432 : role === "cache" ? 6379 : 443;
      // Web servers point at this dev server's own liveness route, so local probes come back
      // "up"; api servers at a name that never resolves, so they show "down".
      const health =
        role === "web"
          ? "http://127.0.0.1:8787/health/live"
          : role === "api"
            ? `https://${name}.demo.invalid/healthz`
            : null;
      lines.push(
        `INSERT OR IGNORE INTO servers (id, owner_id, name, host, port, environment, tags, status, health_check_url, version, created_at, updated_at) SELECT ${q(uuidv7())}, id, ${q(name)}, ${q(`${name}.demo.invalid`)}, ${port}, ${q(env)}, ${q(tags)}, ${q(STATUSES[i % STATUSES.length]!)}, ${q(health)}, 1, ${q(now)}, ${q(now)} FROM users WHERE email = ${q(owner)};`,
      );
    }
  }
  return lines;
}

export async function seedSql(password: string): Promise<string> {
  const now = new Date().toISOString();
  const lines: string[] = [];
  for (const user of DEMO_USERS) {
    const hash = await hashPassword(password);
    lines.push(
      `INSERT INTO users (id, email, name, role, password_hash, email_verified_at, created_at, updated_at) VALUES (${q(uuidv7())}, ${q(user.email)}, ${q(user.name)}, ${q(user.role)}, ${q(hash)}, ${q(now)}, ${q(now)}, ${q(now)}) ON CONFLICT(email) DO NOTHING;`,
    );
  }
  lines.push(...serverRows(now));
  return `${lines.join("\n")}\n`;
}

async function main() {
  const password =
    process.env.SEED_ADMIN_PASSWORD ??
    devVars().SEED_ADMIN_PASSWORD ??
    DEVELOPMENT_DEFAULTS.SEED_ADMIN_PASSWORD;
  const sql = await seedSql(password);
  if (process.argv.includes("--print")) {
    process.stdout.write(sql);
    return;
  }
  const file = join(mkdtempSync(join(tmpdir(), "edgepanel-seed-")), "seed.sql");
  writeFileSync(file, sql);
  execFileSync("wrangler", ["d1", "execute", "DB", "--local", `--file=${file}`], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  console.log(
    `seeded ${DEMO_USERS.length} demo users (password: SEED_ADMIN_PASSWORD) into the local D1`,
  );
}

if (import.meta.main) await main();
