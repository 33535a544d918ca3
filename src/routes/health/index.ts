import { createRouter } from "../../lib/create-router.ts";
import { liveHandler, liveRoute } from "./live.ts";
import { readyHandler, readyRoute } from "./ready.ts";

/** `/health/live`: mounted ahead of the config middleware (see createApp). */
export const livenessRouter = createRouter().openapi(liveRoute, liveHandler);

/** `/health/ready`: needs the configuration and every binding it probes. */
export const readinessRouter = createRouter().openapi(readyRoute, readyHandler);
