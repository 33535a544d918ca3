import { createRouter } from "../../lib/create-router.ts";
import { getJobHandler, getJobRoute } from "./get.ts";

export const jobsRouter = createRouter().openapi(getJobRoute, getJobHandler);
