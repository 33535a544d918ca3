import { createRouter } from "../../lib/create-router.ts";
import { listAlertsHandler, listAlertsRoute } from "./alerts.ts";
import { purgeHandler, purgeRoute } from "./cache-purge.ts";
import {
  createIncidentHandler,
  createIncidentRoute,
  getIncidentHandler,
  getIncidentRoute,
  listIncidentsHandler,
  listIncidentsRoute,
  postIncidentUpdateHandler,
  postIncidentUpdateRoute,
  updateIncidentHandler,
  updateIncidentRoute,
} from "./incidents.ts";
import {
  getIpRulesHandler,
  getIpRulesRoute,
  putIpRulesHandler,
  putIpRulesRoute,
} from "./ip-rules.ts";
import { liveHandler, liveRoute } from "./live.ts";
import { statsHandler, statsRoute } from "./stats.ts";
import {
  listStatusTagsHandler,
  listStatusTagsRoute,
  publishStatusTagHandler,
  publishStatusTagRoute,
  unpublishStatusTagHandler,
  unpublishStatusTagRoute,
} from "./status-tags.ts";

export const adminRouter = createRouter()
  .openapi(getIpRulesRoute, getIpRulesHandler)
  .openapi(putIpRulesRoute, putIpRulesHandler)
  .openapi(purgeRoute, purgeHandler)
  .openapi(createIncidentRoute, createIncidentHandler)
  .openapi(listIncidentsRoute, listIncidentsHandler)
  .openapi(getIncidentRoute, getIncidentHandler)
  .openapi(updateIncidentRoute, updateIncidentHandler)
  .openapi(postIncidentUpdateRoute, postIncidentUpdateHandler)
  .openapi(listStatusTagsRoute, listStatusTagsHandler)
  .openapi(publishStatusTagRoute, publishStatusTagHandler)
  .openapi(unpublishStatusTagRoute, unpublishStatusTagHandler)
  .openapi(statsRoute, statsHandler)
  .openapi(listAlertsRoute, listAlertsHandler)
  .openapi(liveRoute, liveHandler);
