import type { D1Migration } from "cloudflare:test";
import type { Secrets } from "../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends Secrets {
      TEST_MIGRATIONS: D1Migration[];
      /** Seed for the fuzz run (test/fuzz/api.test.ts); empty: the fixed default. */
      FUZZ_SEED: string;
    }
  }
}
