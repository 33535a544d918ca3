import { createRouter } from "../../lib/create-router.ts";
import { deleteUserHandler, deleteUserRoute } from "./delete.ts";
import { getUserHandler, getUserRoute } from "./get.ts";
import { listUsersHandler, listUsersRoute } from "./list.ts";
import { updateUserHandler, updateUserRoute } from "./update.ts";

export const usersRouter = createRouter()
  .openapi(listUsersRoute, listUsersHandler)
  .openapi(getUserRoute, getUserHandler)
  .openapi(updateUserRoute, updateUserHandler)
  .openapi(deleteUserRoute, deleteUserHandler);
