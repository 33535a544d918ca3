import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { Bindings } from "../../../src/env.ts";
import type { JobMessage } from "../../../src/queues/enqueue.ts";
import { fetchWith } from "../../app/broken-env.ts";
import { expectStatus } from "../../helpers.ts";
import { deliver } from "../../queues/helpers.ts";

/**
 * A JOBS queue that keeps what is sent instead of handing it to the local consumer,
 * so each test decides when a delivery attempt runs (and no background consumer
 * races it).
 */
export function capturingQueue() {
  const sent: { body: JobMessage; delaySeconds: number | undefined }[] = [];
  const queue = {
    send: async (body: JobMessage, o?: QueueSendOptions) => {
      sent.push({ body, delaySeconds: o?.delaySeconds });
    },
    sendBatch: async (messages: Iterable<MessageSendRequest<JobMessage>>) => {
      for (const m of messages) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue;
  return {
    queue,
    sent,
    /** Removes and returns the messages sent so far. */
    take: () => sent.splice(0),
  };
}

export type Capture = ReturnType<typeof capturingQueue>;

/** Calls the Worker with `JOBS` captured (and other env overrides). */
export function call(
  capture: Capture,
  path: string,
  {
    method = "GET",
    body,
    token,
    headers = {},
    overrides = {},
  }: {
    method?: string;
    body?: unknown;
    token?: string;
    headers?: Record<string, string>;
    overrides?: Partial<Bindings> & Record<string, unknown>;
  } = {},
) {
  const h = new Headers(headers);
  if (token) h.set("authorization", `Bearer ${token}`);
  if (body !== undefined) h.set("content-type", "application/json");
  return fetchWith({ JOBS: capture.queue, ...overrides }, path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export interface CreatedWebhook {
  id: string;
  url: string;
  secret: string;
  events: string[];
  enabled: boolean;
  owner_id: string;
}

let n = 0;
/** A receiver host of its own per call: circuit breakers are per owner and host. */
export const receiverUrl = (tag = "hook") =>
  `https://${tag}-${Date.now().toString(36)}-${++n}.example.com/webhooks`;

export async function createWebhook(
  capture: Capture,
  token: string,
  body: Record<string, unknown> = {},
): Promise<CreatedWebhook> {
  return expectStatus<CreatedWebhook>(
    await call(capture, "/api/v2/webhooks", {
      method: "POST",
      token,
      body: { url: receiverUrl(), events: ["*"], ...body },
    }),
    201,
  );
}

/** Waits for the post-commit sends (they finish in the background) and returns them. */
export async function sentMessages(capture: Capture, count: number) {
  await vi.waitFor(() => expect(capture.sent.length).toBeGreaterThanOrEqual(count), {
    timeout: 2000,
  });
  return capture.take();
}

/** Runs delivery attempts through the real queue handler, follow-up sends captured. */
export const runAttempts = (capture: Capture, messages: JobMessage[], attempts = 1) =>
  deliver(messages, { attempts, overrides: { JOBS: capture.queue } });

export const deliveriesOf = async (endpointId: string) =>
  (
    await env.DB.prepare("select * from webhook_deliveries where endpoint_id = ? order by id")
      .bind(endpointId)
      .all<Record<string, unknown>>()
  ).results;

export const attemptsOf = async (deliveryId: string) =>
  (
    await env.DB.prepare("select * from webhook_attempts where delivery_id = ? order by attempt")
      .bind(deliveryId)
      .all<Record<string, unknown>>()
  ).results;

/** A receiver: answers each request with the next reply, records what it got. */
export function receiver(url: string, replies: (() => Response | Promise<Response>)[]) {
  const received: { headers: Headers; body: string }[] = [];
  const origin = new URL(url).origin;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const req = new Request(input as RequestInfo, init);
    if (!req.url.startsWith(origin)) throw new TypeError(`network unreachable: ${req.url}`);
    received.push({ headers: req.headers, body: await req.text() });
    const reply = replies[Math.min(received.length - 1, replies.length - 1)];
    return reply ? reply() : new Response("ok");
  });
  return { received, spy };
}
