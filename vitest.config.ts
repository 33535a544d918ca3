import { resolve } from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const migrations = await readD1Migrations("./migrations");
const clientSource = {
  "@edgepanel/client": resolve(import.meta.dirname, "packages/client/src/index.ts"),
};

/**
 * Three projects, one command (`npm test`):
 * - `workers`: tests run inside workerd with the real local bindings from
 *   wrangler.toml (D1, KV, …), migrations applied from `migrations/` by the setup file.
 * - `node`: pure logic and the libSQL half of the data-layer contract tests.
 * - `browser`: Chromium (playwright-core) against the production bundle served
 *   locally (docs/development.md, "Browser test").
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
        // Workspace packages resolve to their TypeScript sources, so tests need no
        // build step. An alias, not only the package's "edgepanel-source" export
        // condition: the workers pool resolves with its own conditions.
        resolve: { conditions: ["edgepanel-source"], alias: clientSource },
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.node.test.ts", "test/**/*.browser.test.ts"],
          setupFiles: ["./test/setup.ts"],
        },
      },
      {
        resolve: { conditions: ["edgepanel-source"], alias: clientSource },
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.node.test.ts"],
        },
      },
      {
        test: {
          name: "browser",
          environment: "node",
          include: ["test/**/*.browser.test.ts"],
          // Building the bundle and starting Chromium take a while on a shared machine.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
