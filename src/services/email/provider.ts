import type { Database } from "../../db/client.ts";
import { emailOutbox } from "../../db/schema.ts";
import { nowIso, uuidv7 } from "../../lib/ids.ts";
import { resilientFetch } from "../../outbound/fetch.ts";

export interface EmailMessage {
  /** The job sending it: the idempotency key for the provider. */
  jobId: string;
  to: string[];
  subject: string;
  text: string;
}

export interface EmailProvider {
  readonly name: string;
  send(message: EmailMessage): Promise<{ accepted: number }>;
}

export const FROM_ADDRESS = "edgepanel <noreply@edgepanel.invalid>";

/**
 * Writes e-mail to the `email_outbox` table: the default locally and whenever no
 * provider is configured. (job, recipient) is unique, so a redelivered job adds nothing.
 */
export class OutboxEmailProvider implements EmailProvider {
  readonly name = "outbox";
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }
  async send(m: EmailMessage) {
    const now = nowIso();
    await this.#db
      .insert(emailOutbox)
      .values(
        m.to.map((recipient) => ({
          id: uuidv7(),
          jobId: m.jobId,
          recipient,
          subject: m.subject,
          body: m.text,
          createdAt: now,
        })),
      )
      .onConflictDoNothing();
    return { accepted: m.to.length };
  }
}

/**
 * A Resend/SendGrid-style JSON API: `POST EMAIL_PROVIDER_URL` with a bearer key and
 * `{from, to, subject, text}`. The job id goes in `Idempotency-Key`, so a retried
 * job does not send twice at providers that honour it.
 */
export class HttpEmailProvider implements EmailProvider {
  readonly name = "http";
  readonly #url: string;
  readonly #apiKey: string;
  readonly #traceparent: string | undefined;
  constructor(url: string, apiKey: string, traceparent?: string) {
    this.#url = url;
    this.#apiKey = apiKey;
    this.#traceparent = traceparent;
  }
  async send(m: EmailMessage) {
    const res = await resilientFetch(
      this.#url,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          "content-type": "application/json",
          "idempotency-key": m.jobId,
        },
        body: JSON.stringify({ from: FROM_ADDRESS, to: m.to, subject: m.subject, text: m.text }),
      },
      { purpose: "email", traceparent: this.#traceparent, timeoutMs: 10_000, retries: 2 },
    );
    if (!res.ok) throw new Error(`e-mail provider answered ${res.status}`);
    return { accepted: m.to.length };
  }
}

export function emailProvider(
  db: Database,
  config: { EMAIL_PROVIDER_URL?: string | undefined; EMAIL_API_KEY?: string | undefined },
  traceparent?: string,
): EmailProvider {
  return config.EMAIL_PROVIDER_URL && config.EMAIL_API_KEY
    ? new HttpEmailProvider(config.EMAIL_PROVIDER_URL, config.EMAIL_API_KEY, traceparent)
    : new OutboxEmailProvider(db);
}
