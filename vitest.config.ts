import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");

/**
 * Two projects, one command (`npm test`):
 * - `workers`: tests run inside workerd with the real local bindings from
 *   wrangler.toml (D1, KV, …), migrations applied from `migrations/` by the setup file.
 * - `node`: pure logic and the libSQL half of the data-layer contract tests.
 */
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // Quiet logs in test output; tests that assert on logs pass their own sink and level.
              bindings: {
                TEST_MIGRATIONS: migrations,
                LOG_LEVEL: "error",
                // test/fuzz/api.test.ts: another seed explores other requests (default: fixed).
                FUZZ_SEED: process.env.FUZZ_SEED ?? "",
                // Deployed behaviour (wrangler.toml turns it off only for wrangler dev).
                COMPRESS_RESPONSES: "true",
                // Test-only OAuth client credentials; provider endpoints are fetch-mocked.
                GOOGLE_CLIENT_ID: "test-google-client",
                GOOGLE_CLIENT_SECRET: "test-google-secret",
                GITHUB_CLIENT_ID: "test-github-client",
                GITHUB_CLIENT_SECRET: "test-github-secret",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.node.test.ts"],
          setupFiles: ["./test/setup.ts"],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.node.test.ts"],
        },
      },
    ],
  },
});
