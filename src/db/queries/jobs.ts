import { eq } from "drizzle-orm";
import type { Database } from "../client.ts";
import { type JobRow, jobs } from "../schema.ts";

/** A job by id, whoever owns it (callers decide who may see it). */
export async function findJob(db: Database, id: string): Promise<JobRow | undefined> {
  return db.select().from(jobs).where(eq(jobs.id, id)).get();
}
