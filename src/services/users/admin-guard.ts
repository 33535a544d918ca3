import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { users } from "../../db/schema.ts";

/** True when another active admin exists besides `userId`: the last admin may not be demoted, disabled or deleted. */
export async function anotherActiveAdminExists(db: Database, userId: string): Promise<boolean> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.disabledAt), ne(users.id, userId)))
    .get();
  return Number(row?.n ?? 0) > 0;
}
