import { createRouter } from "../../lib/create-router.ts";
import { purgeHandler, purgeRoute } from "./cache-purge.ts";
import {
  getIpRulesHandler,
  getIpRulesRoute,
  putIpRulesHandler,
  putIpRulesRoute,
} from "./ip-rules.ts";
import { liveHandler, liveRoute } from "./live.ts";

export const adminRouter = createRouter()
  .openapi(getIpRulesRoute, getIpRulesHandler)
  .openapi(putIpRulesRoute, putIpRulesHandler)
  .openapi(purgeRoute, purgeHandler)
  .openapi(liveRoute, liveHandler);
