/**
 * Writes the OpenAPI 3.1 document generated from the route definitions to a file,
 * for client generators and API reviews:
 *   npm run openapi:export              # → dist/openapi.json (a build output, git-ignored)
 *   npm run openapi:export -- out.json
 *
 * The document is not committed: it is generated from the code, and the running
 * Worker serves the same one at /openapi.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createApp } from "../src/app.ts";

const out = process.argv[2] ?? "dist/openapi.json";
// Only routing and config run for this route: the bindings are never touched.
const env = { ENVIRONMENT: "development", CORS_ORIGINS: "", LOG_LEVEL: "error", DB: {}, CACHE: {} };
const res = await createApp().request("https://edgepanel.example/openapi.json", {}, env);
if (!res.ok) throw new Error(`openapi.json answered ${res.status}: ${await res.text()}`);
const doc = (await res.json()) as { servers?: unknown };
// The exported file is deployment-neutral: its server is relative, i.e. wherever the
// document is served from (OpenAPI 3.1 §4.8.5), as each deployment serves it.
doc.servers = [{ url: "/", description: "The deployment that serves this document" }];
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(doc, null, 2)}\n`);
console.log(`wrote ${out}`);
