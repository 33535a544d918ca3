import { z } from "zod";
import { emailProvider } from "../../services/email/provider.ts";
import { defineJob } from "../define.ts";

/** Sends one e-mail (to ≤ 50 recipients) through the configured provider. */
export const emailSendJob = defineJob({
  type: "email.send",
  payload: z.object({
    to: z.array(z.email()).min(1).max(50),
    subject: z.string().min(1).max(200),
    text: z.string().min(1).max(20_000),
  }),
  async handle({ jobId, payload, db, config, traceparent }) {
    const provider = emailProvider(db, config, traceparent);
    const { accepted } = await provider.send({ jobId, ...payload });
    return { provider: provider.name, accepted };
  },
});
