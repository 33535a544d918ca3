import { createClient } from "@libsql/client/web";
import { sql } from "drizzle-orm";
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql/web";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema.ts";

export { schema };

/**
 * The one database type every repository takes: drizzle's async SQLite API, which
 * both the D1 and the libSQL drivers implement. Repositories must stay within it
 * (no driver-specific calls) so they run unchanged on both.
 *
 * Built without drizzle's relational `db.query` API: passing `{ schema }` makes
 * drizzle walk every table's relations on each construction, and a D1 session
 * database is constructed per request. Repositories use the query builder with
 * the tables from `schema.ts`.
 */
export type Database = BaseSQLiteDatabase<"async", unknown> & {
  /**
   * Runs the statements in order as one transaction (D1 batch, libSQL write
   * batch): all of them commit or none does. Every mutation goes through this
   * (see db/mutation.ts).
   */
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(
    batch: T,
  ): Promise<BatchResponse<T>>;
};

export interface DatabaseBindings {
  DB: D1Database;
  DATABASE_URL?: string | undefined;
  DATABASE_AUTH_TOKEN?: string | undefined;
}

// drizzle instances are stateless wrappers around the binding/client; caching one
// per env object avoids rebuilding it (and a libSQL HTTP client) on every request.
const cache = new WeakMap<object, Database>();

/**
 * drizzle over D1 (`env.DB`), or over libSQL/Turso when `DATABASE_URL` is set.
 * Inside workerd only remote libSQL URLs work (`libsql://`, `https://`, `wss://`);
 * `file:` and `:memory:` are for Node (see `db/libsql-node.ts`).
 */
export function getDatabase(env: DatabaseBindings): Database {
  const hit = cache.get(env);
  if (hit) return hit;
  const db: Database = env.DATABASE_URL
    ? drizzleLibsql(createClient({ url: env.DATABASE_URL, authToken: env.DATABASE_AUTH_TOKEN }))
    : drizzleD1(env.DB);
  cache.set(env, db);
  return db;
}

/** The cheapest round trip to the database (readiness probes). */
export async function ping(db: Database): Promise<void> {
  await db.run(sql`select 1`);
}

const READ_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A request-scoped database on the D1 Sessions API (read replicas). Reads may be
 * served by a replica (`first-unconstrained`), writes go to the primary
 * (`first-primary`); a client that sends back the `x-d1-bookmark` it received reads
 * its own writes. Over libSQL the bookmark has no meaning and the shared client is
 * used.
 */
export function sessionDatabase(
  env: DatabaseBindings,
  method: string,
  bookmark: string | undefined,
): { db: Database; bookmark: () => string | null } {
  if (env.DATABASE_URL || typeof env.DB.withSession !== "function") {
    return { db: getDatabase(env), bookmark: () => null };
  }
  const constraint =
    bookmark ?? (READ_METHODS.has(method) ? "first-unconstrained" : "first-primary");
  let session: D1DatabaseSession | undefined;
  let db: Database | undefined;
  const open = (): Database => {
    if (db) return db;
    try {
      session = env.DB.withSession(constraint);
    } catch {
      // A malformed bookmark: fall back to the primary rather than fail the request.
      session = env.DB.withSession("first-primary");
    }
    // The one cast left in src/: drizzle's D1 driver is typed for D1Database, but calls
    // only prepare() and batch(), which a session has; a session lacks exec(), dump()
    // and withSession(), so the types do not overlap enough for a plain `as`.
    db = drizzleD1(session as unknown as D1Database);
    return db;
  };
  // Opened on first use: many requests (cache hits, refusals, health) never touch
  // the database, and a session plus a drizzle instance is a measurable share of
  // such a request's CPU. Methods are bound to the real instance.
  const lazy = new Proxy<Database>(Object.create(null), {
    get(_, property) {
      const real = open();
      const value = Reflect.get(real, property, real);
      return typeof value === "function" ? value.bind(real) : value;
    },
    // drizzle's `is()` walks the prototype chain.
    getPrototypeOf: () => Object.getPrototypeOf(open()),
  });
  return { db: lazy, bookmark: () => session?.getBookmark() ?? null };
}
