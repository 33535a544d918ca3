import { and, asc, count, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { insertIf, rowExists } from "../../db/mutation.ts";
import {
  type ServerEnvironment,
  type ServerRow,
  type ServerStatus,
  servers,
} from "../../db/schema.ts";
import { encrypt, type Keyring } from "../../lib/crypto.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";

export const CREDENTIALS_CONTEXT = "servers.credentials";

/** Who may see what: admins everything (`ownerId: null`), everyone else their own. */
export interface Scope {
  ownerId: string | null;
}

export interface ServerInput {
  name: string;
  host: string;
  port: number;
  environment: ServerEnvironment;
  tags: string[];
  healthCheckUrl?: string | null | undefined;
  /** Plaintext; encrypted before it reaches the database, never returned. */
  credentials?: string | null | undefined;
}

const ownedBy = (scope: Scope) => (scope.ownerId ? eq(servers.ownerId, scope.ownerId) : undefined);

/** A new server's row (credentials encrypted); insert it with {@link insertServerIf}. */
export async function newServerRow(
  ring: Keyring,
  ownerId: string,
  input: ServerInput,
): Promise<ServerRow> {
  const now = nowIso();
  return {
    id: uuidv7(),
    ownerId,
    name: input.name,
    host: input.host,
    port: input.port,
    environment: input.environment,
    tags: input.tags,
    status: "unknown",
    healthCheckUrl: input.healthCheckUrl ?? null,
    lastCheckedAt: null,
    credentialsEnc: input.credentials
      ? await encrypt(ring, input.credentials, CREDENTIALS_CONTEXT)
      : null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The INSERT, applied only while `condition` holds (the owner's quota); returns
 * the id when it applied. A name already used by the owner fails the whole batch
 * (unique index).
 */
export const insertServerIf = (db: Database, row: ServerRow, condition?: SQL) =>
  insertIf(db, servers, row, condition).returning({ id: servers.id });

export async function getServer(
  db: Database,
  id: string,
  scope: Scope,
): Promise<ServerRow | undefined> {
  return db
    .select()
    .from(servers)
    .where(and(eq(servers.id, id), ownedBy(scope)))
    .get();
}

export const SORTS = ["name", "-name", "created_at", "-created_at"] as const;
export type Sort = (typeof SORTS)[number];

export interface ServerFilters {
  environment?: ServerEnvironment | undefined;
  status?: ServerStatus | undefined;
  tag?: string | undefined;
  /** Case-insensitive substring of name or host. */
  q?: string | undefined;
}

function filterConditions(scope: Scope, f: ServerFilters): (SQL | undefined)[] {
  return [
    ownedBy(scope),
    f.environment ? eq(servers.environment, f.environment) : undefined,
    f.status ? eq(servers.status, f.status) : undefined,
    f.tag
      ? sql`exists (select 1 from json_each(${servers.tags}) where value = ${f.tag})`
      : undefined,
    f.q
      ? sql`(instr(lower(${servers.name}), lower(${f.q})) > 0 or instr(lower(${servers.host}), lower(${f.q})) > 0)`
      : undefined,
  ];
}

const sortColumn = (sort: Sort) =>
  sort === "name" || sort === "-name" ? servers.name : servers.createdAt;

/** The sort key of a row, for the next page's cursor: [sort value, id]. */
export const sortKey = (row: ServerRow, sort: Sort): [string, string] => [
  sort === "name" || sort === "-name" ? row.name : row.createdAt,
  row.id,
];

export interface ListOptions {
  filters: ServerFilters;
  sort: Sort;
  limit: number;
  after?: [string, string] | undefined;
}

/** The page query itself (exported so a test can EXPLAIN exactly what runs). */
export function listServersQuery(
  db: Database,
  scope: Scope,
  { filters, sort, limit, after }: ListOptions,
) {
  const col = sortColumn(sort);
  const descending = sort.startsWith("-");
  const seek = after
    ? descending
      ? sql`(${col}, ${servers.id}) < (${after[0]}, ${after[1]})`
      : sql`(${col}, ${servers.id}) > (${after[0]}, ${after[1]})`
    : undefined;
  const order = descending ? [desc(col), desc(servers.id)] : [asc(col), asc(servers.id)];
  return db
    .select()
    .from(servers)
    .where(and(...filterConditions(scope, filters), seek))
    .orderBy(...order)
    .limit(limit + 1);
}

/**
 * One keyset page. The cursor is the last row's (sort value, id); the row-value
 * comparison `(col, id) > (?, ?)` lets SQLite seek straight into the matching
 * index (owner_id, col, id) or (col, id) — no OFFSET, and rows inserted while a
 * client pages never cause a skip or a repeat of the rows it has not seen.
 */
export async function listServers(
  db: Database,
  scope: Scope,
  options: ListOptions,
): Promise<{ rows: ServerRow[]; hasMore: boolean }> {
  const rows = await listServersQuery(db, scope, options).all();
  return { rows: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/** Offset pagination with a total, for the legacy v1 API only. */
export async function listServersByPage(
  db: Database,
  scope: Scope,
  { page, perPage, filters }: { page: number; perPage: number; filters: ServerFilters },
): Promise<{ rows: ServerRow[]; total: number }> {
  const where = and(...filterConditions(scope, filters));
  const [rows, total] = await Promise.all([
    db
      .select()
      .from(servers)
      .where(where)
      .orderBy(asc(servers.createdAt), asc(servers.id))
      .limit(perPage)
      .offset((page - 1) * perPage)
      .all(),
    db.select({ n: count() }).from(servers).where(where).get(),
  ]);
  return { rows, total: total?.n ?? 0 };
}

export type ServerPatch = Partial<ServerInput>;

/** The row is still at `version`: the condition of every versioned write. */
export const serverAtVersion = (id: string, version: number) =>
  and(eq(servers.id, id), eq(servers.version, version))!;

/** The server is still at `version`: the precondition of a versioned write. */
export const serverStillAt = (id: string, version: number) =>
  rowExists(servers, serverAtVersion(id, version));

/** The columns a patch changes (credentials encrypted), with the version bumped. */
export async function patchColumns(
  ring: Keyring,
  current: ServerRow,
  patch: ServerPatch,
): Promise<Partial<ServerRow>> {
  const set: Partial<ServerRow> = { version: current.version + 1, updatedAt: nowIso() };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.host !== undefined) set.host = patch.host;
  if (patch.port !== undefined) set.port = patch.port;
  if (patch.environment !== undefined) set.environment = patch.environment;
  if (patch.tags !== undefined) set.tags = patch.tags;
  if (patch.healthCheckUrl !== undefined) set.healthCheckUrl = patch.healthCheckUrl;
  if (patch.credentials !== undefined) {
    set.credentialsEnc = patch.credentials
      ? await encrypt(ring, patch.credentials, CREDENTIALS_CONTEXT)
      : null;
  }
  return set;
}

/**
 * Applies `set` only if the row is still at `expectedVersion` (from If-Match, or
 * from the read just before): of two concurrent writers exactly one matches.
 * Returns the new row, or nothing when the version moved on.
 */
export const updateServerIfAt = (
  db: Database,
  id: string,
  expectedVersion: number,
  set: Partial<ServerRow>,
) => db.update(servers).set(set).where(serverAtVersion(id, expectedVersion)).returning();

/** Deletes the row only if it is still at `expectedVersion`; returns it, or nothing. */
export const deleteServerIfAt = (db: Database, id: string, expectedVersion: number) =>
  db.delete(servers).where(serverAtVersion(id, expectedVersion)).returning();

/** What an audit row may say about a server: no credentials, ever. */
export const auditView = (s: ServerRow) => ({
  name: s.name,
  host: s.host,
  port: s.port,
  environment: s.environment,
  tags: s.tags,
  health_check_url: s.healthCheckUrl,
  has_credentials: s.credentialsEnc !== null,
  version: s.version,
});

/** Data-cache tags a server's data lives under; every write to it bumps all three. */
export const serverTags = (ownerId: string, id: string) => [
  "servers:all",
  `servers:owner:${ownerId}`,
  `server:${id}`,
];
/** The tag of the lists a scope sees. */
export const listTag = (scope: Scope) =>
  scope.ownerId ? `servers:owner:${scope.ownerId}` : "servers:all";

/** How many servers are in each status (statuses with none are absent). */
export async function countServersByStatus(
  db: Database,
): Promise<Partial<Record<ServerStatus, number>>> {
  const rows = await db
    .select({ status: servers.status, n: sql<number>`count(*)` })
    .from(servers)
    .groupBy(servers.status)
    .all();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
