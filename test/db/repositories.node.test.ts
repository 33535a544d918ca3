import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, createNodeDatabase } from "../../src/db/libsql-node.ts";
import { repositoriesContract } from "./repositories.contract.ts";

// A file database: libSQL runs a write batch as a transaction on its own
// connection, which a `:memory:` database would not share.
const file = join(mkdtempSync(join(tmpdir(), "edgepanel-contract-")), "contract.db");
const { db, client } = createNodeDatabase(`file:${file}`);
const ready = applyMigrations(client);

repositoriesContract("libSQL file (Node)", async () => {
  await ready;
  return db;
});
