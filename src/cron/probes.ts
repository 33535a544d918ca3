import { and, asc, gt, isNotNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { servers } from "../db/schema.ts";
import { enqueueJobs } from "../queues/enqueue.ts";

const PAGE = 100;

/**
 * `*\/5 * * * *`: one probe job per server with a health_check_url. Servers are
 * read a page of 100 at a time (keyset on id, no N+1) and each page goes out as one
 * `sendBatch`, so 10,000 servers cost 100 reads and 100 sends.
 */
export async function enqueueProbes(db: Database, queue: Queue, traceparent?: string) {
  let after = "";
  let enqueued = 0;
  let batches = 0;
  for (;;) {
    const page = await db
      .select({ id: servers.id, ownerId: servers.ownerId })
      .from(servers)
      .where(and(isNotNull(servers.healthCheckUrl), gt(servers.id, after)))
      .orderBy(asc(servers.id))
      .limit(PAGE)
      .all();
    if (!page.length) break;
    await enqueueJobs(
      db,
      queue,
      page.map((s) => ({ type: "server.probe", ownerId: s.ownerId, payload: { server_id: s.id } })),
      traceparent,
    );
    enqueued += page.length;
    batches++;
    after = page.at(-1)!.id;
    if (page.length < PAGE) break;
  }
  return { enqueued, batches };
}
