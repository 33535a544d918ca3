import { z } from "zod";
import { EXPORT_FORMATS } from "../../services/submissions/csv.ts";
import { writeExport } from "../../services/submissions/export.ts";
import { EXPORT_LINK_TTL_SECONDS, signLink } from "../../services/submissions/links.ts";
import { defineJob } from "../define.ts";

export const SUBMISSION_EXPORT_JOB = "submission.export";

/** Where an export is downloaded (with the signed query the job's result carries). */
export const exportDownloadPath = (jobId: string) =>
  `/api/v2/submissions/exports/${jobId}/download`;

/**
 * Writes the submissions export to R2 and returns an absolute, signed download link
 * that expires 15 minutes after the job finished (no other credentials needed).
 */
export const submissionExportJob = defineJob({
  type: SUBMISSION_EXPORT_JOB,
  payload: z.object({
    format: z.enum(EXPORT_FORMATS),
    q: z.string().max(200).optional(),
    since: z.iso.datetime().optional(),
    until: z.iso.datetime().optional(),
    /** The API origin the request came to: download links are absolute. */
    origin: z.url(),
  }),
  async handle({ jobId, payload, env, db, config }) {
    const { format, q, since, until, origin } = payload;
    const outcome = await writeExport(db, env.FILES, jobId, format, { q, since, until });
    const link = await signLink(
      config.JWT_SECRET,
      origin,
      exportDownloadPath(jobId),
      EXPORT_LINK_TTL_SECONDS,
    );
    return {
      format,
      rows: outcome.rows,
      bytes: outcome.bytes,
      download_url: link.url,
      expires_at: link.expiresAt,
    };
  },
});
