/**
 * The file types a submission may carry, decided from the file's first bytes (its
 * "magic number"), never from the client's Content-Type or file name: a `.png`
 * holding a PDF is stored as a PDF, and HTML is refused whatever it is called.
 */
export const ALLOWED_TYPES = {
  pdf: "application/pdf",
  png: "image/png",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  txt: "text/plain",
  csv: "text/csv",
} as const;

export type FileKind = keyof typeof ALLOWED_TYPES;

/** Bytes the detection looks at; a shorter file is judged on what it has. */
export const SNIFF_BYTES = 1024;

const ascii = (s: string) => Array.from(s, (ch) => ch.charCodeAt(0));
const startsWith = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v);

const SIGNATURES: [FileKind, (b: Uint8Array) => boolean][] = [
  ["pdf", (b) => startsWith(b, ascii("%PDF-"))],
  ["png", (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ["jpeg", (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ["gif", (b) => startsWith(b, ascii("GIF87a")) || startsWith(b, ascii("GIF89a"))],
  ["webp", (b) => startsWith(b, ascii("RIFF")) && startsWith(b, ascii("WEBP"), 8)],
];

/**
 * Markup that browsers (or a careless viewer) would render: text starting like this
 * is refused rather than stored as plain text. Case-insensitive, after white space
 * and a BOM, as the WHATWG MIME sniffing algorithm looks for it.
 */
const MARKUP =
  /^(?:\ufeff)?\s*<(?:!doctype\s+html|html|head|body|script|iframe|svg|\?xml|!--|style|title|a\s|img|div|table|p[\s>]|br|h1|b[\s>]|font)/i;

/** True for a byte that may appear in text: anything but the C0 controls other than tab, LF, FF and CR. */
export function isTextByte(b: number): boolean {
  return b >= 0x20 || b === 0x09 || b === 0x0a || b === 0x0c || b === 0x0d;
}

const strictUtf8 = () => new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * The kind of a file from its first bytes (at most {@link SNIFF_BYTES}), or null
 * when it is none of the allowed kinds. Text (UTF-8 without control characters, not
 * markup) is `csv` when the name says so and `txt` otherwise: both are served as
 * text and always as an attachment, so the name cannot make it dangerous.
 * `complete` says whether `head` is the whole file (the last UTF-8 sequence of a
 * longer file may be cut in half by the sample).
 */
export function detectKind(head: Uint8Array, fileName: string, complete: boolean): FileKind | null {
  if (!head.length) return null;
  for (const [kind, matches] of SIGNATURES) if (matches(head)) return kind;
  if (!head.every(isTextByte)) return null;
  let text: string;
  try {
    text = strictUtf8().decode(head, { stream: !complete });
  } catch {
    return null;
  }
  if (MARKUP.test(text)) return null;
  return /\.csv$/i.test(fileName) ? "csv" : "txt";
}

/**
 * Checks the rest of a text file as it streams: still UTF-8, still free of control
 * characters. Returns a function to call per chunk and once with `null` at the end;
 * it answers false as soon as the file stops being text.
 */
export function textChecker(): (chunk: Uint8Array | null) => boolean {
  const decoder = strictUtf8();
  return (chunk) => {
    try {
      if (chunk === null) {
        decoder.decode();
        return true;
      }
      if (!chunk.every(isTextByte)) return false;
      decoder.decode(chunk, { stream: true });
      return true;
    } catch {
      return false;
    }
  };
}

/**
 * The client's file name, made safe to keep as metadata and to offer back in a
 * Content-Disposition: the last path segment, control and bidi characters and
 * quotes removed, at most 200 characters; "file" when nothing is left.
 */
export function sanitizeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  let out = "";
  for (const ch of base) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) continue;
    if (
      c === 0x2028 ||
      c === 0x2029 ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069)
    )
      continue;
    if (ch === '"' || ch === "\\" || ch === ";") continue;
    out += ch;
  }
  out = out.trim().replace(/^\.+/, "");
  return Array.from(out).slice(0, 200).join("") || "file";
}
