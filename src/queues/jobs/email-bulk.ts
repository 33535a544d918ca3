import { and, asc, eq, gt, isNull } from "drizzle-orm";
import { z } from "zod";
import { ROLES, users } from "../../db/schema.ts";
import { defineJob } from "../define.ts";

const CHUNK = 50;

/**
 * Notifies every active user with a role: fans out into `email.send` jobs of ≤ 50
 * recipients. Child ids are derived from this job's id and the chunk number, so a
 * redelivered bulk job re-enqueues nothing that already exists.
 */
export const emailBulkJob = defineJob({
  type: "email.bulk",
  payload: z.object({
    role: z.enum(ROLES),
    subject: z.string().min(1).max(200),
    text: z.string().min(1).max(20_000),
  }),
  async handle({ jobId, payload, db, enqueue }) {
    let after = "";
    let chunk = 0;
    let recipients = 0;
    for (;;) {
      const page = await db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(and(eq(users.role, payload.role), isNull(users.disabledAt), gt(users.id, after)))
        .orderBy(asc(users.id))
        .limit(CHUNK)
        .all();
      if (!page.length) break;
      await enqueue([
        {
          type: "email.send",
          jobId: `${jobId}.${chunk++}`,
          payload: { to: page.map((u) => u.email), subject: payload.subject, text: payload.text },
        },
      ]);
      recipients += page.length;
      after = page.at(-1)!.id;
      if (page.length < CHUNK) break;
    }
    return { recipients, chunks: chunk };
  },
});
