import { createRouter } from "../../lib/create-router.ts";
import { createWebhookHandler, createWebhookRoute } from "./create.ts";
import { deleteWebhookHandler, deleteWebhookRoute } from "./delete.ts";
import { listDeliveriesHandler, listDeliveriesRoute } from "./deliveries.ts";
import { getWebhookHandler, getWebhookRoute } from "./get.ts";
import { listWebhooksHandler, listWebhooksRoute } from "./list.ts";
import { redeliverHandler, redeliverRoute } from "./redeliver.ts";
import { rotateWebhookSecretHandler, rotateWebhookSecretRoute } from "./rotate-secret.ts";
import { testWebhookHandler, testWebhookRoute } from "./test.ts";
import { updateWebhookHandler, updateWebhookRoute } from "./update.ts";

export const webhooksRouter = createRouter()
  .openapi(listWebhooksRoute, listWebhooksHandler)
  .openapi(createWebhookRoute, createWebhookHandler)
  .openapi(getWebhookRoute, getWebhookHandler)
  .openapi(updateWebhookRoute, updateWebhookHandler)
  .openapi(deleteWebhookRoute, deleteWebhookHandler)
  .openapi(rotateWebhookSecretRoute, rotateWebhookSecretHandler)
  .openapi(testWebhookRoute, testWebhookHandler)
  .openapi(listDeliveriesRoute, listDeliveriesHandler)
  .openapi(redeliverRoute, redeliverHandler);
