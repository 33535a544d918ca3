import { createRouter } from "../../lib/create-router.ts";
import { createBackupHandler, createBackupRoute } from "./create.ts";
import { deleteBackupHandler, deleteBackupRoute } from "./delete.ts";
import { createDrillHandler, createDrillRoute } from "./drills-create.ts";
import { getDrillHandler, getDrillRoute } from "./drills-get.ts";
import { listDrillsHandler, listDrillsRoute } from "./drills-list.ts";
import { getBackupHandler, getBackupRoute } from "./get.ts";
import { listBackupsHandler, listBackupsRoute } from "./list.ts";
import { verifyBackupHandler, verifyBackupRoute } from "./verify.ts";

// Drills first, so "/backups/drills" is never read as a backup id.
export const backupsRouter = createRouter()
  .openapi(listDrillsRoute, listDrillsHandler)
  .openapi(createDrillRoute, createDrillHandler)
  .openapi(getDrillRoute, getDrillHandler)
  .openapi(listBackupsRoute, listBackupsHandler)
  .openapi(createBackupRoute, createBackupHandler)
  .openapi(getBackupRoute, getBackupHandler)
  .openapi(verifyBackupRoute, verifyBackupHandler)
  .openapi(deleteBackupRoute, deleteBackupHandler);
