import { eq } from "drizzle-orm";
import { z } from "zod";
import { SERVER_STATUSES, servers, users } from "../../db/schema.ts";
import { emailProvider } from "../../services/email/provider.ts";
import { defineJob } from "../define.ts";

/** Tells a server's owner that its status changed (the alert e-mail). */
export const serverStatusChangedJob = defineJob({
  type: "server.status_changed",
  payload: z.object({
    server_id: z.string(),
    from: z.enum(SERVER_STATUSES),
    to: z.enum(SERVER_STATUSES),
  }),
  async handle({ jobId, payload, db, config, traceparent }) {
    const row = await db
      .select({ name: servers.name, host: servers.host, email: users.email })
      .from(servers)
      .innerJoin(users, eq(users.id, servers.ownerId))
      .where(eq(servers.id, payload.server_id))
      .get();
    if (!row) return { skipped: "server deleted" };
    const provider = emailProvider(db, config, traceparent);
    await provider.send({
      jobId,
      to: [row.email],
      subject: `[edgepanel] ${row.name} is ${payload.to}`,
      text: `Server ${row.name} (${row.host}) changed from ${payload.from} to ${payload.to}.`,
    });
    return { notified: 1, provider: provider.name };
  },
});
