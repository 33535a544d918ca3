import { sql } from "drizzle-orm";
import { users } from "../../db/schema.ts";

/**
 * Another active admin exists besides `userId`: the last admin may not be
 * demoted, disabled or deleted. A condition for the mutation itself (checked in
 * its batch), so two admins demoting each other at once cannot both succeed.
 */
export const anotherActiveAdmin = (userId: string) =>
  sql`exists (select 1 from ${users} as other
              where other.role = 'admin' and other.disabled_at is null and other.id <> ${userId})`;
