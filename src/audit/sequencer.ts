import { DurableObject } from "cloudflare:workers";
import { getDatabase } from "../db/client.ts";
import type { Bindings } from "../env.ts";
import { type SealResult, sealPending } from "../services/audit/seal.ts";

/** After a pass that sealed something, look again this much later in case a wake-up was lost. */
const HEARTBEAT_MS = 30_000;
/**
 * Passes start at most this often. Under a burst of writes each pass then seals
 * many entries in one read and one batch, instead of one pass per write competing
 * with the writes for the database; the added lag is at most this.
 */
const MIN_PASS_INTERVAL_MS = 100;

/**
 * The single sealer of the audit hash chain (one object, named "audit").
 *
 * Requests insert their audit entries unsealed, inside their own batch; this
 * object links them into the chain afterwards, in commit order, so no request
 * ever waits on or races for the chain head. It is woken by `requestSeal` after
 * each committed mutation (in `waitUntil`), by its own alarm as a fallback, and
 * by the `*\/5` cron. Passes never overlap: a call that arrives during a pass
 * joins the next one, which starts after the current one ends and therefore
 * sees every row committed before the call.
 */
export class AuditSequencer extends DurableObject<Bindings> {
  #tail: Promise<unknown> = Promise.resolve();
  #next: Promise<SealResult> | null = null;
  #lastPassAt = 0;

  /** Seals everything committed before this call; resolves when that is done. */
  seal(): Promise<SealResult> {
    if (this.#next) return this.#next;
    const next = this.#tail.then(async () => {
      const wait = this.#lastPassAt + MIN_PASS_INTERVAL_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      // Calls from here on join the pass after this one: this one may not see their rows.
      this.#next = null;
      this.#lastPassAt = Date.now();
      return this.#pass();
    });
    this.#next = next;
    this.#tail = next.catch(() => {});
    return next;
  }

  override async alarm(): Promise<void> {
    await this.seal();
  }

  async #pass(): Promise<SealResult> {
    const result = await sealPending(getDatabase(this.env));
    // More left (a burst larger than one pass): continue at once. Sealed some:
    // one heartbeat later, so an entry whose wake-up was lost waits ≤ 30 s.
    if (result.more) await this.ctx.storage.setAlarm(Date.now());
    else if (result.sealed > 0) await this.ctx.storage.setAlarm(Date.now() + HEARTBEAT_MS);
    return result;
  }
}
