// Only a type import of the Durable Object class: this module is part of the
// request path, which also runs in Node (OpenAPI export, Node tests), where
// `cloudflare:workers` does not exist.
import type { AuditSequencer } from "./sequencer.ts";

export const sequencerStub = (ns: DurableObjectNamespace<AuditSequencer>) =>
  ns.get(ns.idFromName("audit"));

// Per isolate: at most one wake-up call in flight, plus one more if further
// mutations commit while it runs — not one RPC per write under load.
let inflight: Promise<void> | null = null;
let again = false;

/**
 * Wakes the sequencer after a commit; for `waitUntil`, never throws (a lost
 * wake-up is covered by the sequencer's alarm and the cron). Callers that join
 * a call in flight get a resolved promise: the in-flight loop, kept alive by
 * the request that started it, makes one more call on their behalf.
 */
export function requestSeal(
  ns: DurableObjectNamespace<AuditSequencer>,
  onError: (error: unknown) => void = () => {},
): Promise<void> {
  if (inflight) {
    again = true;
    return Promise.resolve();
  }
  inflight = (async () => {
    try {
      do {
        again = false;
        await sequencerStub(ns).seal();
      } while (again);
    } catch (error) {
      onError(error);
    } finally {
      inflight = null;
    }
  })();
  return inflight;
}
