import { z } from "zod";
import { attemptDelivery } from "../../services/webhooks/delivery.ts";
import { DELIVER_JOB } from "../../services/webhooks/job-names.ts";
import { defineJob } from "../define.ts";

/**
 * One attempt of one webhook delivery (services/webhooks/delivery.ts): sign, POST,
 * record the attempt and schedule the next one. A receiver's failure is recorded,
 * not thrown — the delivery's own schedule retries it, minutes to hours apart —
 * so this job fails only when edgepanel itself does (D1 down), and the queue's
 * retry then repeats the same attempt, which is recorded once.
 */
export const webhookDeliverJob = defineJob({
  type: DELIVER_JOB,
  payload: z.object({
    delivery_id: z.string().min(1).max(64),
    attempt: z.number().int().min(1).max(100),
  }),
  handle: ({ jobId, payload, db, env, config, logger, write }) =>
    attemptDelivery({
      jobId,
      deliveryId: payload.delivery_id,
      attempt: payload.attempt,
      db,
      env,
      config,
      logger,
      write,
    }),
});
