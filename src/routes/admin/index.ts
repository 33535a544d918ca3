import { createRouter } from "../../lib/create-router.ts";
import {
  getIpRulesHandler,
  getIpRulesRoute,
  putIpRulesHandler,
  putIpRulesRoute,
} from "./ip-rules.ts";

export const adminRouter = createRouter()
  .openapi(getIpRulesRoute, getIpRulesHandler)
  .openapi(putIpRulesRoute, putIpRulesHandler);
