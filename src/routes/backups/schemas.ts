import { z } from "@hono/zod-openapi";
import {
  BACKUP_STATUSES,
  BACKUP_TRIGGERS,
  type BackupDrillRow,
  DRILL_STATUSES,
  VERIFY_STATUSES,
} from "../../db/schema.ts";
import { withFormatPattern } from "../../lib/openapi.ts";
import { listOf, PaginationQuery } from "../../lib/pagination.ts";

export const BackupIdParam = z.object({
  id: withFormatPattern(z.uuid({ error: "must be a UUID" })).openapi({
    param: { name: "id", in: "path" },
  }),
});

export const BackupSchema = z
  .object({
    id: z.string(),
    status: z.enum(BACKUP_STATUSES),
    trigger: z.enum(BACKUP_TRIGGERS).openapi({ description: "`scheduled`: the nightly cron" }),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_seconds: z.number().nullable(),
    size_bytes: z.number().int().nullable().openapi({ description: "Bytes stored in R2" }),
    rows: z.number().int().nullable().openapi({ description: "Rows in every table together" }),
    row_counts: z.record(z.string(), z.number().int()).nullable(),
    schema_version: z.string().nullable().openapi({ description: "The newest migration applied" }),
    bookmark: z
      .string()
      .nullable()
      .openapi({ description: "The D1 bookmark of the snapshot (Time Travel can restore it)" }),
    key_id: z.string().nullable().openapi({ description: "Id of the encryption key" }),
    error: z.string().nullable(),
    verification: z.object({
      status: z.enum(VERIFY_STATUSES).nullable().openapi({ description: "null: not verified yet" }),
      verified_at: z.string().nullable(),
      error: z.string().nullable().openapi({ description: "The first difference found" }),
    }),
  })
  .openapi("Backup");

export const BackupListSchema = listOf(BackupSchema, "BackupList");
export const ListBackupsQuery = PaginationQuery;

export const DrillSchema = z
  .object({
    id: z.string(),
    backup_id: z.string().nullable(),
    status: z.enum(DRILL_STATUSES),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    rto_seconds: z.number().nullable().openapi({
      description: "Seconds from the drill's start until the restored copy was verified",
    }),
    rpo_seconds: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Age of the newest verified backup when the drill ran" }),
    row_counts: z.record(z.string(), z.number().int()).nullable(),
    error: z.string().nullable(),
  })
  .openapi("BackupDrill");

export const DrillListSchema = listOf(DrillSchema, "BackupDrillList");
export const DrillIdParam = BackupIdParam;

export const toDrillDto = (d: BackupDrillRow) => ({
  id: d.id,
  backup_id: d.backupId,
  status: d.status,
  started_at: d.startedAt,
  finished_at: d.finishedAt,
  rto_seconds: d.rtoSeconds,
  rpo_seconds: d.rpoSeconds,
  row_counts: d.rowCounts ?? null,
  error: d.error,
});
