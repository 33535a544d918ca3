import { createRouter } from "../../lib/create-router.ts";
import {
  listChecksHandler,
  listChecksRoute,
  probeServerHandler,
  probeServerRoute,
} from "./checks.ts";
import { createServerHandler, createServerRoute } from "./create.ts";
import { deleteServerHandler, deleteServerRoute } from "./delete.ts";
import { getServerHandler, getServerRoute } from "./get.ts";
import { listServersHandler, listServersRoute } from "./list.ts";
import { updateServerHandler, updateServerRoute } from "./update.ts";

export const serversRouter = createRouter()
  .openapi(listServersRoute, listServersHandler)
  .openapi(createServerRoute, createServerHandler)
  .openapi(getServerRoute, getServerHandler)
  .openapi(updateServerRoute, updateServerHandler)
  .openapi(deleteServerRoute, deleteServerHandler)
  .openapi(probeServerRoute, probeServerHandler)
  .openapi(listChecksRoute, listChecksHandler);
