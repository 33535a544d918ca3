import { createRouter } from "../../lib/create-router.ts";
import { listAlertsHandler, listAlertsRoute } from "./alerts.ts";
import { purgeHandler, purgeRoute } from "./cache-purge.ts";
import {
  getIpRulesHandler,
  getIpRulesRoute,
  putIpRulesHandler,
  putIpRulesRoute,
} from "./ip-rules.ts";
import { liveHandler, liveRoute } from "./live.ts";
import { statsHandler, statsRoute } from "./stats.ts";

export const adminRouter = createRouter()
  .openapi(getIpRulesRoute, getIpRulesHandler)
  .openapi(putIpRulesRoute, putIpRulesHandler)
  .openapi(purgeRoute, purgeHandler)
  .openapi(statsRoute, statsHandler)
  .openapi(listAlertsRoute, listAlertsHandler)
  .openapi(liveRoute, liveHandler);
