import { env } from "cloudflare:workers";
import { getDatabase } from "../../src/db/client.ts";
import { repositoriesContract } from "./repositories.contract.ts";

repositoriesContract(
  "D1 (workerd)",
  async () => getDatabase(env),
  () => env.CACHE,
);
