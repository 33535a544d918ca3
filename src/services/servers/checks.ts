import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type ServerCheckRow, serverChecks } from "../../db/schema.ts";

/**
 * A page of a server's checks, newest first, keyset-paginated on
 * (checked_at, id): `after` is the last row of the previous page. One row more
 * than `limit` is read so the caller knows whether another page exists.
 */
export async function listChecks(
  db: Database,
  serverId: string,
  { limit, after }: { limit: number; after?: [checkedAt: string, id: string] | undefined },
): Promise<ServerCheckRow[]> {
  return db
    .select()
    .from(serverChecks)
    .where(
      and(
        eq(serverChecks.serverId, serverId),
        after
          ? sql`(${serverChecks.checkedAt}, ${serverChecks.id}) < (${after[0]}, ${after[1]})`
          : undefined,
      ),
    )
    .orderBy(desc(serverChecks.checkedAt), desc(serverChecks.id))
    .limit(limit + 1)
    .all();
}
