import { redact, redactString } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Where lines go; console.log is what Workers Logs / `wrangler tail` collect. */
export type LogSink = (line: string) => void;
const consoleSink: LogSink = (line) => console.log(line);

/** A level name as given (env, options), or "info" for anything else. */
export const logLevel = (value: unknown): LogLevel =>
  typeof value === "string" && value in ORDER ? (value as LogLevel) : "info";

/**
 * A structured JSON logger: one JSON object per line, every field passed through
 * {@link redact} so secrets, tokens, passwords and e-mail addresses never reach logs.
 * A class, not closures: one is made per request, and most never log anything but
 * the access line.
 */
class JsonLogger implements Logger {
  readonly #base: Record<string, unknown>;
  readonly #min: number;
  readonly #sink: LogSink;
  constructor(base: Record<string, unknown>, min: number, sink: LogSink) {
    this.#base = base;
    this.#min = min;
    this.#sink = sink;
  }
  write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < this.#min) return;
    const entry = redact({ ts: new Date().toISOString(), level, msg, ...this.#base, ...fields });
    this.#sink(JSON.stringify(entry));
  }
  debug(msg: string, fields?: Record<string, unknown>) {
    this.write("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>) {
    this.write("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>) {
    this.write("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>) {
    this.write("error", msg, fields);
  }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger({ ...this.#base, ...fields }, this.#min, this.#sink);
  }
  /**
   * The access line: the same line {@link write} would produce, for a fraction of its
   * work. The fixed fields are ours (the logger's base of ids we minted or checked, a
   * route pattern, numbers) and go in as they are; only the strings a client controls
   * (path, user agent) and the routes' extra fields are redacted, and the object is
   * serialised once.
   */
  request(
    level: LogLevel,
    line: {
      method: string;
      route: string;
      path: string;
      status: number;
      /** none | client | auth | ratelimit | platform (the metrics' label too). */
      error_type: string;
      duration_ms: number;
      user_agent: string | undefined;
    },
    extra: Record<string, unknown>,
  ): void {
    if (ORDER[level] < this.#min) return;
    const entry: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level,
      msg: "request",
      ...this.#base,
      method: line.method,
      route: line.route,
      path: redactString(line.path),
      status: line.status,
      error_type: line.error_type,
      duration_ms: line.duration_ms,
      user_agent: line.user_agent === undefined ? undefined : redactString(line.user_agent),
    };
    // Fields routes added (identity, auth failure…): the only deep redaction left.
    Object.assign(entry, redact(extra));
    this.#sink(JSON.stringify(entry));
  }
}

export type RequestLogger = JsonLogger;

export function createLogger(
  base: Record<string, unknown> = {},
  level: LogLevel = "info",
  sink: LogSink = consoleSink,
): RequestLogger {
  return new JsonLogger(base, ORDER[logLevel(level)], sink);
}
