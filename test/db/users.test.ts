import { env } from "cloudflare:workers";
import { getDatabase } from "../../src/db/client.ts";
import { usersRepositoryContract } from "./users.contract.ts";

usersRepositoryContract("D1 (workerd)", async () => getDatabase(env));
