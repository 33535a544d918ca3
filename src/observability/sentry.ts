import * as Sentry from "@sentry/cloudflare";
import type { Context } from "hono";
import pkg from "../../package.json" with { type: "json" };
import { REDACTED, redact, redactString } from "./redact.ts";

/**
 * Error reporting to Sentry, on only when SENTRY_DSN is set. Without it nothing
 * here runs on a request: src/index.ts hands requests to the uninstrumented app
 * (Sentry's wrapper would otherwise proxy the env and context of every request),
 * and the capture helpers return at once.
 *
 * Every event passes through {@link scrubEvent} (`beforeSend`): the log redaction
 * (secret-named keys blanked; tokens, API keys, bearer credentials and e-mail
 * addresses scrubbed from strings) applies to the request, messages, exceptions,
 * breadcrumbs and contexts; request bodies, cookies and user fields other than the
 * id are dropped.
 */
export interface SentryEnv {
  SENTRY_DSN?: string;
  ENVIRONMENT?: string;
  BUILD_COMMIT?: string;
}

export function sentryOptions(env: SentryEnv): Sentry.CloudflareOptions {
  return {
    dsn: env.SENTRY_DSN?.trim() || undefined,
    environment: env.ENVIRONMENT,
    release: env.BUILD_COMMIT
      ? `edgepanel@${pkg.version}+${env.BUILD_COMMIT}`
      : `edgepanel@${pkg.version}`,
    // Errors only: traces would cost CPU on every request.
    tracesSampleRate: 0,
    beforeSend: (event) => scrubEvent(event),
    beforeBreadcrumb: (crumb) => redact(crumb) as Sentry.Breadcrumb,
  };
}

export const sentryEnabled = (env: SentryEnv | undefined) => Boolean(env?.SENTRY_DSN?.trim());

/** Applies the log redaction to everything an event carries. */
export function scrubEvent<E extends Sentry.Event>(event: E): E {
  if (event.message) event.message = redactString(event.message);
  for (const ex of event.exception?.values ?? []) if (ex.value) ex.value = redactString(ex.value);
  if (event.request) {
    const { url, method, headers, query_string } = event.request;
    event.request = {
      url: url ? redactString(url.replace(/\?.*$/, "")) : url,
      method,
      headers: headers ? (redact(headers) as Record<string, string>) : undefined,
      query_string: query_string ? REDACTED : undefined,
    };
  }
  if (event.user) event.user = event.user.id ? { id: event.user.id } : {};
  if (event.extra) event.extra = redact(event.extra) as Record<string, unknown>;
  if (event.contexts) event.contexts = redact(event.contexts) as Sentry.Event["contexts"];
  if (event.breadcrumbs)
    event.breadcrumbs = event.breadcrumbs.map((b) => redact(b) as Sentry.Breadcrumb);
  return event;
}

interface RequestFacts {
  requestId: string | undefined;
  traceId: string | undefined;
  route: string;
  status: number;
  userId: string | undefined;
  method: string;
}

/** Reports a 5xx answer (the error that caused it when there is one) with the request's labels. */
export function captureRequestError(c: Context, facts: RequestFacts): void {
  if (!Sentry.isInitialized()) return;
  Sentry.withScope((scope) => {
    scope.setTags({
      request_id: facts.requestId,
      trace_id: facts.traceId,
      route: facts.route,
      status: String(facts.status),
      method: facts.method,
    });
    if (facts.userId) scope.setUser({ id: facts.userId });
    const error = c.error;
    if (error) Sentry.captureException(error);
    else Sentry.captureMessage(`${facts.method} ${facts.route} answered ${facts.status}`, "error");
  });
}

/** Reports a failed job run: a warning while it will be retried, an error on its last delivery. */
export function reportJobFailure(
  env: SentryEnv,
  error: unknown,
  job: { type: string; jobId: string; attempt: number; last: boolean },
): void {
  if (!sentryEnabled(env) || !Sentry.isInitialized()) return;
  Sentry.withScope((scope) => {
    scope.setLevel(job.last ? "error" : "warning");
    scope.setTags({ job_type: job.type, job_id: job.jobId, attempt: String(job.attempt) });
    Sentry.captureException(error);
  });
}

/** Reports a job that reached the dead-letter queue. */
export function reportDeadLetter(
  env: SentryEnv,
  job: { type: string; jobId: string | null },
): void {
  if (!sentryEnabled(env) || !Sentry.isInitialized()) return;
  Sentry.withScope((scope) => {
    scope.setTags({ job_type: job.type, job_id: job.jobId ?? "unknown" });
    Sentry.captureMessage(`Job ${job.type} dead-lettered`, "error");
  });
}

// biome-ignore lint/suspicious/noExplicitAny: each object class has its own env type
type DurableObjectClass = new (ctx: DurableObjectState, env: any) => object;

/**
 * A Durable Object class reported to Sentry when the deployment has SENTRY_DSN,
 * and left untouched (no per-call wrapping) when it has not: the choice is made
 * once per object, when the runtime constructs it with the env.
 */
export function withSentryObject<C extends DurableObjectClass>(Base: C): C {
  const Instrumented = Sentry.instrumentDurableObjectWithSentry(
    (env: SentryEnv) => sentryOptions(env),
    Base as never,
  ) as unknown as C;
  // A construct trap, as Sentry's own wrapper uses: the runtime sees one class.
  return new Proxy(Base, {
    construct(target, args, newTarget) {
      const env = args[1] as SentryEnv | undefined;
      return sentryEnabled(env)
        ? Reflect.construct(Instrumented, args, newTarget)
        : Reflect.construct(target, args, newTarget);
    },
  });
}
