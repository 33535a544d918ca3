import { redact } from "./redact.ts";

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

/**
 * A structured JSON logger: one JSON object per line, every field passed through
 * {@link redact} so secrets, tokens, passwords and e-mail addresses never reach logs.
 */
export function createLogger(
  base: Record<string, unknown> = {},
  level: LogLevel = "info",
  sink: LogSink = consoleSink,
): Logger {
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const entry = redact({ ts: new Date().toISOString(), level: lvl, msg, ...base, ...fields });
    sink(JSON.stringify(entry));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level, sink),
  };
}
