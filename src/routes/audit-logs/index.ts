import { createRouter } from "../../lib/create-router.ts";
import { listArchivesHandler, listArchivesRoute } from "./archives.ts";
import { listAuditHandler, listAuditRoute } from "./list.ts";
import { verifyAuditHandler, verifyAuditRoute } from "./verify.ts";

// verify and archives are registered first so neither is read as an id.
export const auditLogsRouter = createRouter()
  .openapi(listArchivesRoute, listArchivesHandler)
  .openapi(verifyAuditRoute, verifyAuditHandler)
  .openapi(listAuditRoute, listAuditHandler);
