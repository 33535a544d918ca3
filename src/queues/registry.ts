import { z } from "zod";
import type { JobDefinition } from "./define.ts";
import { auditArchiveJob } from "./jobs/backup-archive.ts";
import { backupDrillJob } from "./jobs/backup-drill.ts";
import { backupRunJob } from "./jobs/backup-run.ts";
import { backupVerifyJob } from "./jobs/backup-verify.ts";
import { emailBulkJob } from "./jobs/email-bulk.ts";
import { emailSendJob } from "./jobs/email-send.ts";
import { serverProbeJob } from "./jobs/server-probe.ts";
import { serverStatusChangedJob } from "./jobs/server-status-changed.ts";
import { submissionExportJob } from "./jobs/submission-export.ts";
import { webhookDeliverJob } from "./jobs/webhook-deliver.ts";

/** Every job type. Adding one: a file in jobs/ and one line here. */
export const JOB_DEFINITIONS = [
  serverProbeJob,
  serverStatusChangedJob,
  emailSendJob,
  emailBulkJob,
  webhookDeliverJob,
  submissionExportJob,
  backupRunJob,
  backupVerifyJob,
  backupDrillJob,
  auditArchiveJob,
] as const;

export const jobsByType = new Map<string, JobDefinition>(
  JOB_DEFINITIONS.map((j): [string, JobDefinition] => [j.type, j]),
);

const envelope = {
  job_id: z.string().min(1).max(200),
  traceparent: z.string().max(64).optional(),
  enqueued_at: z.iso.datetime(),
};

const messageSchemas = JOB_DEFINITIONS.map((j) =>
  z.object({ type: z.literal(j.type), payload: j.payload, ...envelope }),
);
type MessageSchema = (typeof messageSchemas)[number];

/**
 * The queue message: a discriminated union on `type`, with the common envelope.
 * (`map` forgets that JOB_DEFINITIONS is a non-empty tuple, which zod requires.)
 */
export const jobMessageSchema = z.discriminatedUnion(
  "type",
  messageSchemas as [MessageSchema, ...MessageSchema[]],
);
