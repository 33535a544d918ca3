/**
 * A local webhook receiver for `npm run dev`: prints every delivery and whether its
 * signature verifies (Standard Webhooks, with the `standardwebhooks` library).
 *
 *   npm run webhook:receiver                                   # http://127.0.0.1:9999
 *   EDGEPANEL_WEBHOOK_SECRET=whsec_… npm run webhook:receiver  # also verify signatures
 *   PORT=9998 STATUS=500 npm run webhook:receiver              # answer 500 (watch the retries)
 *
 * Point a webhook at it (development allows loopback URLs):
 *   POST /api/v2/webhooks {"url": "http://127.0.0.1:9999/hooks", "events": ["*"]}
 */
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

const PORT = Number(process.env.PORT ?? 9999);
const STATUS = Number(process.env.STATUS ?? 204);
const SECRET = process.env.EDGEPANEL_WEBHOOK_SECRET;

const server = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks).toString("utf8");
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(" ") : (v ?? "")]),
  );
  let verdict = "not checked (set EDGEPANEL_WEBHOOK_SECRET)";
  if (SECRET) {
    try {
      new Webhook(SECRET).verify(body, headers);
      verdict = "valid";
    } catch (error) {
      verdict = `INVALID: ${(error as Error).message}`;
    }
  }
  let pretty = body;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {}
  console.log(
    [
      `── ${new Date().toISOString()} ${req.method} ${req.url} → ${STATUS}`,
      `webhook-id:        ${headers["webhook-id"]}`,
      `webhook-timestamp: ${headers["webhook-timestamp"]}`,
      `webhook-signature: ${headers["webhook-signature"]} (${verdict})`,
      `traceparent:       ${headers.traceparent ?? "-"}`,
      pretty,
    ].join("\n"),
  );
  res
    .writeHead(STATUS, { "content-type": "text/plain" })
    .end(STATUS < 300 ? "" : "failing on purpose");
});

server.listen(PORT, "127.0.0.1", () =>
  console.log(`webhook receiver on http://127.0.0.1:${PORT}/ (answers ${STATUS})`),
);
