import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, createNodeDatabase } from "../../../src/db/libsql-node.ts";
import { emitEventContract } from "./events.contract.ts";

// A file database, as in the repositories contract: libSQL runs a write batch as a
// transaction on its own connection, which a `:memory:` database would not share.
const file = join(mkdtempSync(join(tmpdir(), "edgepanel-webhooks-")), "events.db");
const { db, client } = createNodeDatabase(`file:${file}`);
const ready = applyMigrations(client);

emitEventContract("libSQL file (Node)", async () => {
  await ready;
  return db;
});
