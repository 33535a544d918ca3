import { env } from "cloudflare:workers";
import { getDatabase } from "../../../src/db/client.ts";
import { emitEventContract } from "./events.contract.ts";

emitEventContract("D1 (workerd)", async () => getDatabase(env));
