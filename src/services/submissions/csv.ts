import type { SubmissionRow } from "../../db/schema.ts";

export const EXPORT_FORMATS = ["csv", "xlsx_csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_COLUMNS = [
  "id",
  "created_at",
  "name",
  "email",
  "message",
  "file_name",
  "file_type",
  "file_size",
  "file_sha256",
] as const;

/** Spreadsheets run a cell that starts with one of these as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180): quoted when it holds a quote, comma or line break, quotes
 * doubled. For `xlsx_csv`, a value a spreadsheet would run as a formula is first
 * prefixed with `'`, which spreadsheets show as text (OWASP's advice for CSV injection).
 */
export function csvField(value: string | number | null, format: ExportFormat): string {
  let s = value === null ? "" : String(value);
  if (format === "xlsx_csv" && FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const line = (fields: (string | number | null)[], format: ExportFormat) =>
  `${fields.map((f) => csvField(f, format)).join(",")}\r\n`;

/** The first bytes of the file: a UTF-8 BOM for spreadsheets (`xlsx_csv`), then the header row. */
export const csvHeader = (format: ExportFormat) =>
  (format === "xlsx_csv" ? "\ufeff" : "") + line([...EXPORT_COLUMNS], format);

export const csvRow = (r: SubmissionRow, format: ExportFormat) =>
  line(
    [
      r.id,
      r.createdAt,
      r.name,
      r.email,
      r.message,
      r.fileName,
      r.fileType,
      r.fileSize,
      r.fileSha256,
    ],
    format,
  );
