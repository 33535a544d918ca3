import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, afterEach } from "vitest";
import worker from "../src/index.ts";
import { drain, type OpenApiDocument, recordResponse, useDocument } from "./app/contract.ts";

// Storage is isolated per test file; every file starts from the real migrations.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

// The tests never reach the internet (there is none here, and a green run must not
// depend on it): an outbound request that no test mocked fails the way an unreachable
// network does, instead of workerd's DNS lookup failing with an uncaught internal
// error. Tests that expect outbound calls mock `fetch` themselves (vi.spyOn), which
// wraps this and is restored to it afterwards.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]")
    return realFetch(input, init);
  throw new TypeError(`network unreachable in tests: ${url.host}`);
};

// The contract, enforced: every response the Worker gives a test is checked against
// what /openapi.json documents for its route, method and status (test/app/contract.ts).
// Tests reach the Worker through its entry's `fetch` — `exports.default.fetch` (the
// `api()` helper, the typed client) and `fetchWith` (test/app/broken-env.ts) both
// land there — so wrapping it here sees them all. A test that builds its own app
// with createApp() records through `recordResponse` itself.
const entryFetch = worker.fetch;
const quiet = {
  waitUntil() {},
  passThroughOnException() {},
  props: {},
} as unknown as ExecutionContext;
const served = await entryFetch(new Request("https://panel.test/openapi.json"), env, quiet);
if (!served.ok) throw new Error(`/openapi.json answered ${served.status}`);
useDocument((await served.json()) as OpenApiDocument);
worker.fetch = async (request, bindings, ctx) =>
  recordResponse(request, await entryFetch(request, bindings, ctx));

const fail = (mismatches: string[]) => {
  if (mismatches.length)
    throw new Error(
      `${mismatches.length} response(s) differ from /openapi.json:\n  ${mismatches.join("\n  ")}`,
    );
};
afterEach(async () => fail(await drain()));
// Responses produced outside a test (beforeAll) fail the file.
afterAll(async () => fail(await drain()));
