import type { IncidentDto, StatusDto } from "./schemas.ts";

/** XML text and attribute escaping, plus characters XML 1.0 forbids removed. */
export const xmlEscape = (s: string) =>
  s
    // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 cannot carry
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");

const entryText = (i: IncidentDto) =>
  [
    `${i.impact} impact · ${i.status}`,
    ...i.updates.map((u) => `${u.created_at} — ${u.status}: ${u.message}`),
  ].join("\n\n");

/**
 * The incidents as an Atom 1.0 feed (RFC 4287): one entry per incident, updated
 * whenever the incident is, its timeline as the entry's text.
 */
export function renderAtom(status: StatusDto, origin: string): string {
  const all = [...status.incidents.active, ...status.incidents.recent];
  const updated =
    all.reduce((max, i) => (i.updated_at > max ? i.updated_at : max), "") || status.generated_at;
  const entries = all.map(
    (i) => `  <entry>
    <id>${xmlEscape(`${origin}/status#incident-${i.id}`)}</id>
    <title>${xmlEscape(i.resolved_at ? `Resolved: ${i.title}` : i.title)}</title>
    <updated>${xmlEscape(i.updated_at)}</updated>
    <published>${xmlEscape(i.created_at)}</published>
    <link rel="alternate" type="text/html" href="${xmlEscape(`${origin}/status#incident-${i.id}`)}"/>
    <category term="${xmlEscape(i.status)}"/>
    <content type="text">${xmlEscape(entryText(i))}</content>
  </entry>`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${xmlEscape(`${origin}/status`)}</id>
  <title>edgepanel status: incidents</title>
  <updated>${xmlEscape(updated)}</updated>
  <author><name>edgepanel</name></author>
  <link rel="self" type="application/atom+xml" href="${xmlEscape(`${origin}/status/feed.atom`)}"/>
  <link rel="alternate" type="text/html" href="${xmlEscape(`${origin}/status`)}"/>
${entries.join("\n")}
</feed>
`;
}
