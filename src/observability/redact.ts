/**
 * Redaction for anything that reaches a log line. String values under keys that
 * name secrets are blanked; every other string are scrubbed of e-mail addresses,
 * JWTs, API keys and bearer credentials wherever they appear.
 */
const SECRET_KEY =
  /pass(word)?|secret|token|authorization|cookie|api[-_]?key|signature|credential|private[-_]?key/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const API_KEY = /\bep_(live|test)_[A-Za-z0-9]+/g;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;

export const REDACTED = "[REDACTED]";

// One scan for anything the patterns below could match: most log strings (paths,
// routes, user agents, ids) contain none, and then need no four global replaces.
const SUSPECT = /@|eyJ|ep_(?:live|test)_|bearer|basic/i;

/** Scrubs credentials and e-mail addresses out of a free-form string. */
export function redactString(value: string): string {
  if (!SUSPECT.test(value)) return value;
  return value
    .replace(JWT, REDACTED)
    .replace(API_KEY, REDACTED)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(EMAIL, "[EMAIL]");
}

/** Deep-copies `value` with secret-named keys blanked and strings scrubbed. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[TRUNCATED]";
  if (typeof value === "string") return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    if (value instanceof Error) return { name: value.name, message: redactString(value.message) };
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      // Secret-named strings are blanked; numbers and booleans (counts, flags) are not secrets.
      out[key] =
        SECRET_KEY.test(key) && typeof v === "string" && v !== "" ? REDACTED : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}
