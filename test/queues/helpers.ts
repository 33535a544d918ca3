import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import type { Bindings } from "../../src/env.ts";
import worker from "../../src/index.ts";
import { nowIso, uuidv7 } from "../../src/lib/ids.ts";

export const QUEUE = "edgepanel-jobs";

/** Inserts a queued job row and returns its message, as enqueueJobs would. */
export async function queuedJob(
  type: string,
  payload: Record<string, unknown>,
  ownerId: string | null = null,
) {
  const id = uuidv7();
  const now = nowIso();
  await env.DB.prepare(
    "insert into jobs (id, type, status, owner_id, attempts, created_at, updated_at) values (?, ?, 'queued', ?, 0, ?, ?)",
  )
    .bind(id, type, ownerId, now, now)
    .run();
  return {
    job_id: id,
    type,
    payload,
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    enqueued_at: now,
  };
}

/** Delivers messages to the Worker's queue handler and returns the ack/retry outcome. */
export async function deliver(
  bodies: unknown[],
  {
    attempts = 1,
    queue = QUEUE,
    overrides = {},
  }: { attempts?: number; queue?: string; overrides?: Partial<Bindings> } = {},
) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({
      id: `msg-${i}-${Math.random().toString(36).slice(2)}`,
      timestamp: new Date(),
      attempts,
      body,
    })),
  );
  // getQueueResult does not report delaySeconds, so record what retry() was asked for.
  const retryOptions = new Map<string, QueueRetryOptions | undefined>();
  for (const m of batch.messages) {
    const original = m.retry.bind(m);
    m.retry = (options?: QueueRetryOptions) => {
      retryOptions.set(m.id, options);
      original(options);
    };
  }
  const ctx = createExecutionContext();
  // The full ExportedHandler signature, as the runtime calls it (our handler ignores ctx).
  const handler = worker.queue as ExportedHandlerQueueHandler<Bindings, unknown>;
  await handler(batch as MessageBatch<unknown>, { ...env, ...overrides } as Bindings, ctx);
  return { batch, result: await getQueueResult(batch, ctx), retryOptions };
}

export const job = (id: string) =>
  env.DB.prepare("select * from jobs where id = ?").bind(id).first<Record<string, unknown>>();

/** Mocks the outside world only: health-check targets and the e-mail provider. */
export function mockOutbound(
  routes: Record<string, (req: Request) => Response | Promise<Response>>,
) {
  return vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    for (const [prefix, reply] of Object.entries(routes))
      if (req.url.startsWith(prefix)) return reply(req);
    throw new TypeError(`network unreachable: ${req.url}`);
  });
}
