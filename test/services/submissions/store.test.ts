import { env } from "cloudflare:workers";
import { getDatabase } from "../../../src/db/client.ts";
import { submissionsStoreContract } from "./store.contract.ts";

submissionsStoreContract("D1 (workerd)", async () => getDatabase(env));
