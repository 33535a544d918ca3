import { createRouter } from "../../lib/create-router.ts";
import { liveHandler, liveRoute } from "./live.ts";
import { readyHandler, readyRoute } from "./ready.ts";

export const healthRouter = createRouter()
  .openapi(liveRoute, liveHandler)
  .openapi(readyRoute, readyHandler);
