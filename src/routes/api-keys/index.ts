import { createRouter } from "../../lib/create-router.ts";
import { createApiKeyHandler, createApiKeyRoute } from "./create.ts";
import { listApiKeysHandler, listApiKeysRoute } from "./list.ts";
import { revokeApiKeyHandler, revokeApiKeyRoute } from "./revoke.ts";
import { rotateApiKeyHandler, rotateApiKeyRoute } from "./rotate.ts";

export const apiKeysRouter = createRouter()
  .openapi(createApiKeyRoute, createApiKeyHandler)
  .openapi(listApiKeysRoute, listApiKeysHandler)
  .openapi(revokeApiKeyRoute, revokeApiKeyHandler)
  .openapi(rotateApiKeyRoute, rotateApiKeyHandler);
