import { z } from "zod";
import { keyringFor } from "../../lib/crypto.ts";
import { archiveSegment } from "../../services/audit/archive.ts";
import { AUDIT_ARCHIVE_JOB } from "../../services/backups/lifecycle.ts";
import { defineJob } from "../define.ts";

/** Wall time one invocation archives for before it hands the rest to a continuation job. */
const ARCHIVE_BUDGET_MS = 60_000;

/**
 * Moves audit entries older than 90 days to R2, one verified segment at a time
 * (services/audit/archive.ts). When there is more than one invocation's worth, it
 * enqueues itself to continue.
 */
export const auditArchiveJob = defineJob({
  type: AUDIT_ARCHIVE_JOB,
  payload: z.object({ round: z.number().int().min(0).default(0) }),
  async handle({ jobId, payload, env, config, db, write, enqueue }) {
    const started = Date.now();
    const ring = await keyringFor(config);
    const archives: string[] = [];
    let deleted = 0;
    for (;;) {
      const outcome = await archiveSegment(
        { db, d1: env.DB, bucket: env.BACKUPS, sealing: ring.current, keys: ring.all },
        write,
      );
      if (!outcome) return { archives, deleted, more: false };
      archives.push(outcome.archive.key);
      deleted += outcome.deleted;
      if (Date.now() - started > ARCHIVE_BUDGET_MS) {
        await enqueue([
          {
            type: AUDIT_ARCHIVE_JOB,
            jobId: `${AUDIT_ARCHIVE_JOB}:${jobId.split(":")[0]}:${payload.round + 1}`,
            payload: { round: payload.round + 1 },
          },
        ]);
        return { archives, deleted, more: true };
      }
    }
  },
});
