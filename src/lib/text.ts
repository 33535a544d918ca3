import { z } from "@hono/zod-openapi";

/**
 * True when `s` is safe to show as a name wherever it ends up (UIs, logs, CSV, audit
 * summaries): no C0/C1 control characters (NUL, newlines, DEL…), no line or paragraph
 * separators (U+2028/2029), no bidirectional embeddings, overrides or isolates
 * (U+202A–202E, U+2066–2069: they make `invoice<U+202E>fdp.exe` display as `invoiceexe.pdf`),
 * and no unpaired UTF-16 surrogates (not valid Unicode; they break UTF-8 encoders).
 * Right-to-left scripts themselves are fine.
 */
export function isPlainText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    if (c === 0x2028 || c === 0x2029) return false;
    if ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return false;
    if (c >= 0xdc00 && c <= 0xdfff) return false; // a low surrogate with no high one before it
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1); // NaN past the end
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++; // the pair is one character
    }
  }
  return true;
}

/**
 * `s` with every character {@link isPlainText} refuses removed: for names that come
 * from elsewhere (an OAuth provider's profile) and cannot be sent back to be fixed.
 */
export function toPlainText(s: string): string {
  let out = "";
  for (const ch of s) if (isPlainText(ch)) out += ch;
  return out;
}

export const PLAIN_TEXT_MESSAGE =
  "must not contain control characters, bidirectional overrides or unpaired surrogates";

/**
 * A human-readable name (users, API keys, servers): trimmed, 1–`max` characters,
 * plain text ({@link isPlainText}). The one schema every name field uses.
 */
export const nameSchema = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine(isPlainText, { message: PLAIN_TEXT_MESSAGE })
    .openapi({ pattern: PLAIN_NAME_PATTERN, description: PLAIN_NAME_DESCRIPTION });

// The refinement as JSON Schema, without look-arounds (portable to every regex
// dialect): only allowed characters, at least one of them not white space. Lone
// surrogates cannot be expressed in a pattern; the description says so.
const DISALLOWED = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069";
export const PLAIN_NAME_PATTERN = `^[^${DISALLOWED}]*[^\\s${DISALLOWED}][^${DISALLOWED}]*$`;
const PLAIN_NAME_DESCRIPTION =
  "Plain text: not blank, no control characters, line or paragraph separators, bidirectional embeddings, overrides or isolates, and no unpaired UTF-16 surrogates.";
