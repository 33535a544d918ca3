import { createRouter } from "../../lib/create-router.ts";
import { createSubmissionHandler, createSubmissionRoute } from "./create.ts";
import { downloadExportHandler, downloadExportRoute } from "./download-export.ts";
import { downloadFileHandler, downloadFileRoute } from "./download-file.ts";
import { createExportHandler, createExportRoute } from "./export.ts";
import { listSubmissionsHandler, listSubmissionsRoute } from "./list.ts";

export const submissionsRouter = createRouter()
  .openapi(createSubmissionRoute, createSubmissionHandler)
  .openapi(listSubmissionsRoute, listSubmissionsHandler)
  .openapi(createExportRoute, createExportHandler)
  .openapi(downloadExportRoute, downloadExportHandler)
  .openapi(downloadFileRoute, downloadFileHandler);
