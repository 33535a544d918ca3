import { createRouter } from "../../lib/create-router.ts";
import { listAuditHandler, listAuditRoute } from "./list.ts";
import { verifyAuditHandler, verifyAuditRoute } from "./verify.ts";

// verify is registered first so "/audit-logs/verify" is not read as an id.
export const auditLogsRouter = createRouter()
  .openapi(verifyAuditRoute, verifyAuditHandler)
  .openapi(listAuditRoute, listAuditHandler);
