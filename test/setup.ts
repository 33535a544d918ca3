import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

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
