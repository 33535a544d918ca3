import { type SQL, sql } from "drizzle-orm";
import { servers } from "../../db/schema.ts";

/**
 * `ownerId` may add one more server under a cap of `limit`: the condition of a
 * create's batch. Evaluated inside the transaction that inserts, so concurrent
 * creates cannot overshoot the cap, and it costs no extra round trip.
 */
export const belowServerQuota = (ownerId: string, limit: number): SQL =>
  sql`(select count(*) from ${servers} where ${servers.ownerId} = ${ownerId}) < ${limit}`;
